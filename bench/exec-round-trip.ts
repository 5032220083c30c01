import { Agent } from 'node:http';
import { performance } from 'node:perf_hooks';
import { startBareSpawner } from './bare-spawn.ts';
import type { RunningServer } from './children.ts';
import type { BenchConfig } from './config.ts';
import { call, jsonOf, postJson } from './http.ts';
import { out, table, verdict, type Check } from './report.ts';
import { fmtMs, fmtRatio, median, percentile } from './stats.ts';

const TARGET = 1.2;

interface Variant {
  label: string;
  /** Label of the bare variant this one is compared with; undefined for a baseline. */
  against?: string;
  /** One round; a number it resolves with is the time to count (a bare spawn timed where it ran). */
  run: () => Promise<void | number>;
  times: number[];
  failures: number;
  firstError?: string;
}

/**
 * Start a process and wait for its end through the HTTP emulator, against a bare spawn of
 * exactly what the emulator executes (Blaxel and AgentBox run `sh -c <command>`; Tensorlake runs
 * the program directly), timed in a bare Node process (see bare-spawn.ts). Each emulator call
 * goes through a keep-alive node:http agent with one socket, and again through Node's fetch, a
 * new request each time as SDKs and tests make them. Every variant runs once per round, in turn,
 * so that drift in the machine's load lands on all of them alike.
 */
export async function execRoundTrip(config: BenchConfig, emulator: RunningServer): Promise<Check[]> {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const bare = startBareSpawner();
  const blaxel = `${emulator.origin}/blaxel/sandboxes/bench-exec/process`;
  const tensorlake = `${emulator.origin}/tensorlake/sandboxes/bench-exec/api/v1/processes`;
  const agentbox = `${emulator.origin}/agentbox/v1/sandboxes`;
  const box = jsonOf<{ sandbox: { sandboxId: string } }>(await postJson(agentbox, { poolName: 'default' }), 'create an AgentBox sandbox');
  const agentboxExec = `${agentbox}/${box.sandbox.sandboxId}/exec`;

  type Post = (url: string, value: unknown) => Promise<{ status: number; text: string }>;
  const viaAgent: Post = async (url, value) => {
    const reply = await postJson(url, value, { agent });
    return { status: reply.status, text: reply.body.toString('utf8') };
  };
  const viaFetch: Post = async (url, value) => {
    const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(value) });
    return { status: response.status, text: await response.text() };
  };
  const getVia = async (post: Post, url: string) => {
    if (post === viaAgent) {
      const reply = await call(url, { agent });
      return { status: reply.status, text: reply.body.toString('utf8') };
    }
    const response = await fetch(url);
    return { status: response.status, text: await response.text() };
  };

  const blaxelRun = (post: Post, command: string, stdout: string) => async () => {
    const reply = await post(blaxel, { command, waitForCompletion: true });
    const body = JSON.parse(reply.text) as { status: string; exitCode: number; stdout: string };
    if (reply.status !== 200 || body.status !== 'completed' || body.exitCode !== 0 || body.stdout !== stdout) throw new Error(`blaxel ${command}: ${reply.text.slice(0, 200)}`);
  };
  const tensorlakeRun = (post: Post, command: string, args: string[], line?: string) => async () => {
    const reply = await post(`${tensorlake}/run`, { command, args });
    if (reply.status !== 200 || !reply.text.includes('"exit_code":0') || (line !== undefined && !reply.text.includes(`"line":${JSON.stringify(line)}`))) {
      throw new Error(`tensorlake run ${command}: HTTP ${reply.status} ${reply.text.slice(0, 200)}`);
    }
  };
  const tensorlakeStartFollow = (post: Post, command: string, args: string[], line: string) => async () => {
    const started = JSON.parse((await post(tensorlake, { command, args })).text) as { pid: number };
    const reply = await getVia(post, `${tensorlake}/${started.pid}/output/follow`);
    if (reply.status !== 200 || !reply.text.includes(`"line":${JSON.stringify(line)}`) || !reply.text.includes('event: eof')) {
      throw new Error(`tensorlake follow ${command}: HTTP ${reply.status} ${reply.text.slice(0, 200)}`);
    }
  };
  const agentboxRun = (post: Post, command: string, stdout: string) => async () => {
    const reply = await post(agentboxExec, { command });
    const body = JSON.parse(reply.text) as { exitCode: number; stdout: string };
    if (reply.status !== 200 || body.exitCode !== 0 || body.stdout !== stdout) throw new Error(`agentbox exec ${command}: HTTP ${reply.status} ${reply.text.slice(0, 200)}`);
  };

  const v = (label: string, run: () => Promise<void | number>, against?: string): Variant => ({ label, against, run, times: [], failures: 0 });
  const shTrue = "bare spawn('sh', ['-c', 'true'])";
  const shEcho = "bare spawn('sh', ['-c', 'echo hi'])";
  const binTrue = "bare spawn('true')";
  const binEcho = "bare spawn('echo', ['hi'])";
  const variants: Variant[] = [
    v(shTrue, () => bare.run('sh', ['-c', 'true'], '')),
    v(shEcho, () => bare.run('sh', ['-c', 'echo hi'], 'hi\n')),
    v(binTrue, () => bare.run('true', [], '')),
    v(binEcho, () => bare.run('echo', ['hi'], 'hi\n')),
  ];
  for (const [via, post] of [['agent', viaAgent], ['fetch', viaFetch]] as const) {
    variants.push(
      v(`blaxel POST /process waitForCompletion \`true\` (${via})`, blaxelRun(post, 'true', ''), shTrue),
      v(`blaxel POST /process waitForCompletion \`echo hi\` (${via})`, blaxelRun(post, 'echo hi', 'hi\n'), shEcho),
      v(`tensorlake POST /processes/run \`true\` (${via})`, tensorlakeRun(post, 'true', []), binTrue),
      v(`tensorlake POST /processes/run \`echo hi\` (${via})`, tensorlakeRun(post, 'echo', ['hi'], 'hi'), binEcho),
      v(`tensorlake start + GET output/follow \`echo hi\` (${via})`, tensorlakeStartFollow(post, 'echo', ['hi'], 'hi'), binEcho),
      v(`agentbox POST /exec \`echo hi\` (${via})`, agentboxRun(post, 'echo hi', 'hi\n'), shEcho),
    );
  }

  try {
    for (let round = 0; round < config.execWarmup + config.execRounds; round++) {
      for (const variant of variants) {
        const t0 = performance.now();
        try {
          const timed = await variant.run();
          if (round >= config.execWarmup) variant.times.push(typeof timed === 'number' ? timed : performance.now() - t0);
        } catch (error) {
          variant.failures++;
          variant.firstError ??= (error as Error).message;
        }
      }
    }
  } finally {
    agent.destroy();
    bare.stop();
  }

  const byLabel = new Map(variants.map((x) => [x.label, x]));
  const cell = (x: Variant) => `${fmtMs(median(x.times))} (p90 ${fmtMs(percentile(x.times, 90))})`;
  const rows: string[][] = [['through the emulator', 'median (p90)', 'bare spawn of the same', 'median (p90)', 'ratio', 'target', '']];
  const checks: Check[] = [];
  for (const x of variants) {
    if (!x.against) continue;
    const base = byLabel.get(x.against)!;
    const ratio = median(x.times) / median(base.times);
    const failed = x.failures + base.failures;
    const result = failed > 0 ? 'MISS' : verdict(ratio <= TARGET);
    rows.push([x.label, cell(x), base.label, cell(base), fmtRatio(ratio, 3), `<= ${TARGET}x`, result + (failed > 0 ? ` (${failed} failed)` : '')]);
    checks.push({ name: `exec round trip: ${x.label}`, value: fmtRatio(ratio, 3), target: `<= ${TARGET}x bare spawn`, verdict: result });
  }
  out(table(rows));
  for (const x of variants) if (x.firstError) out(`  ! ${x.label}: ${x.failures} of ${config.execWarmup + config.execRounds} failed; first: ${x.firstError}`);
  return checks;
}
