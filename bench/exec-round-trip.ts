import { Agent } from 'node:http';
import { performance } from 'node:perf_hooks';
import { bareSpawn } from './bare-spawn.ts';
import type { RunningServer } from './children.ts';
import type { BenchConfig } from './config.ts';
import { call, jsonOf, postJson } from './http.ts';
import { out, table, verdict, type Check } from './report.ts';
import { fmtMs, fmtRatio, median, percentile } from './stats.ts';

const TARGET = 1.5;

interface Variant {
  label: string;
  /** Label of the bare variant this one is compared with; undefined for a baseline. */
  against?: string;
  run: () => Promise<void>;
  times: number[];
  failures: number;
  firstError?: string;
}

/**
 * Start a process and wait for its end through the HTTP emulator, against a bare spawn of
 * exactly what the emulator executes (Blaxel runs `sh -c <command>`; Tensorlake runs the
 * program directly). Every variant runs once per round, in turn, so that drift in the machine's
 * load lands on all of them alike.
 */
export async function execRoundTrip(config: BenchConfig, emulator: RunningServer): Promise<Check[]> {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const blaxel = `${emulator.origin}/blaxel/sandboxes/bench-exec/process`;
  const tensorlake = `${emulator.origin}/tensorlake/sandboxes/bench-exec/api/v1/processes`;

  const blaxelRun = (command: string, stdout: string) => async () => {
    const body = jsonOf<{ status: string; exitCode: number; stdout: string }>(
      await postJson(blaxel, { command, waitForCompletion: true }, { agent }),
      `run ${command} through Blaxel`,
    );
    if (body.status !== 'completed' || body.exitCode !== 0 || body.stdout !== stdout) throw new Error(`blaxel ${command}: ${JSON.stringify(body).slice(0, 200)}`);
  };
  const tensorlakeRun = (command: string, args: string[], line?: string) => async () => {
    const reply = await postJson(`${tensorlake}/run`, { command, args }, { agent });
    const text = reply.body.toString('utf8');
    if (reply.status !== 200 || !text.includes('"exit_code":0') || (line !== undefined && !text.includes(`"line":${JSON.stringify(line)}`))) {
      throw new Error(`tensorlake run ${command}: HTTP ${reply.status} ${text.slice(0, 200)}`);
    }
  };
  const tensorlakeStartFollow = (command: string, args: string[], line: string) => async () => {
    const started = jsonOf<{ pid: number }>(await postJson(tensorlake, { command, args }, { agent }), `start ${command} through Tensorlake`);
    const reply = await call(`${tensorlake}/${started.pid}/output/follow`, { agent });
    const text = reply.body.toString('utf8');
    if (reply.status !== 200 || !text.includes(`"line":${JSON.stringify(line)}`) || !text.includes('event: eof')) {
      throw new Error(`tensorlake follow ${command}: HTTP ${reply.status} ${text.slice(0, 200)}`);
    }
  };

  const v = (label: string, run: () => Promise<void>, against?: string): Variant => ({ label, against, run, times: [], failures: 0 });
  const variants: Variant[] = [
    v("bare spawn('sh', ['-c', 'true'])", () => bareSpawn('sh', ['-c', 'true'], '')),
    v('blaxel POST /process waitForCompletion `true`', blaxelRun('true', ''), "bare spawn('sh', ['-c', 'true'])"),
    v("bare spawn('sh', ['-c', 'echo hi'])", () => bareSpawn('sh', ['-c', 'echo hi'], 'hi\n')),
    v('blaxel POST /process waitForCompletion `echo hi`', blaxelRun('echo hi', 'hi\n'), "bare spawn('sh', ['-c', 'echo hi'])"),
    v("bare spawn('true')", () => bareSpawn('true', [], '')),
    v('tensorlake POST /processes/run `true`', tensorlakeRun('true', []), "bare spawn('true')"),
    v("bare spawn('echo', ['hi'])", () => bareSpawn('echo', ['hi'], 'hi\n')),
    v('tensorlake POST /processes/run `echo hi`', tensorlakeRun('echo', ['hi'], 'hi'), "bare spawn('echo', ['hi'])"),
    v('tensorlake start + GET output/follow `echo hi`', tensorlakeStartFollow('echo', ['hi'], 'hi'), "bare spawn('echo', ['hi'])"),
  ];

  try {
    for (let round = 0; round < config.execWarmup + config.execRounds; round++) {
      for (const variant of variants) {
        const t0 = performance.now();
        try {
          await variant.run();
          if (round >= config.execWarmup) variant.times.push(performance.now() - t0);
        } catch (error) {
          variant.failures++;
          variant.firstError ??= (error as Error).message;
        }
      }
    }
  } finally {
    agent.destroy();
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
