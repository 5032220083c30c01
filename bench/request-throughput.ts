import autocannon, { type Result } from 'autocannon';
import { freePort, prismInstalled, spawnPrism, startBareServer, endChild, type RunningServer } from './children.ts';
import type { BenchConfig } from './config.ts';
import { call, jsonOf, postJson } from './http.ts';
import { waitFor200 } from './poll.ts';
import { out, table, verdict, type Check } from './report.ts';
import { fmtCount, fmtMs, fmtRatio } from './stats.ts';

const TARGET = 3;
// Prism checks the document's security scheme (bearer); ours has auth off and ignores it.
const HEADERS = { authorization: 'Bearer bench', accept: 'application/json' };

interface Target {
  label: string;
  url: string;
  passes: Result[];
  error?: string;
}

async function load(config: BenchConfig, url: string, seconds: number): Promise<Result> {
  return autocannon({ url, connections: config.loadConnections, duration: seconds, headers: HEADERS, timeout: 10 });
}

/**
 * req/s and p99 of one get-process request with request and response validation on (a Blaxel
 * GET /process/{pid} of a finished process), against Prism mocking the same document and a bare
 * node:http server answering a fixed body of the same size. Each server is its own process;
 * autocannon runs here, against one server at a time, with the same connections and duration.
 */
export async function requestThroughput(config: BenchConfig, emulator: RunningServer): Promise<Check[]> {
  // A finished process to read back, in a sandbox of its own.
  const sandbox = `${emulator.origin}/blaxel/sandboxes/bench-load/process`;
  const done = jsonOf<{ pid: string; status: string }>(await postJson(sandbox, { command: 'echo hi', waitForCompletion: true }), 'start the process to read');
  const ours: Target = { label: 'emulator (blaxel GET /process/{pid})', url: `${sandbox}/${done.pid}`, passes: [] };
  const fixedBody = (await call(ours.url, { headers: HEADERS })).body.toString('utf8');

  const bareServer = await startBareServer(fixedBody);
  const bare: Target = { label: 'bare node:http, fixed JSON body', url: `${bareServer.origin}/process/${done.pid}`, passes: [] };

  const prism: Target = { label: 'prism mock specs/blaxel.yaml (5.14)', url: '', passes: [] };
  let prismChild: ReturnType<typeof spawnPrism> | undefined;
  const missing = prismInstalled();
  if (missing) prism.error = missing;
  else {
    const port = await freePort();
    prism.url = `http://127.0.0.1:${port}/process/1000`;
    prismChild = spawnPrism(port);
    const ready = await waitFor200(prism.url, HEADERS, 60_000, prismChild.child);
    if (!ready.ok) prism.error = `Prism did not answer 200 on GET /process/1000 (${ready.reason}). ${prismChild.stderr().trim().split('\n').slice(-3).join(' | ')}`;
  }

  const targets = [ours, prism, bare];
  try {
    for (const target of targets) {
      if (target.error) continue;
      try {
        const probe = await call(target.url, { headers: HEADERS });
        if (probe.status !== 200) throw new Error(`GET answered ${probe.status}: ${probe.body.toString('utf8').slice(0, 200)}`);
        await load(config, target.url, config.loadWarmupSeconds);
      } catch (error) {
        target.error = (error as Error).message;
      }
    }
    // Passes over all three in turn: a change in the machine's load lands on each alike.
    for (let pass = 0; pass < config.loadPasses; pass++) {
      for (const target of targets) {
        if (target.error) continue;
        try {
          target.passes.push(await load(config, target.url, config.loadSeconds));
        } catch (error) {
          target.error = (error as Error).message;
        }
      }
    }
  } finally {
    if (prismChild) await endChild(prismChild.child);
    await bareServer.stop();
  }

  const ok = (t: Target) => t.passes.length === config.loadPasses && !t.error;
  const sum = (t: Target, f: (r: Result) => number) => t.passes.reduce((a, r) => a + f(r), 0);
  const rps = (t: Target) => (ok(t) ? sum(t, (r) => r.requests.average) / t.passes.length : Number.NaN);
  const failures = (t: Target) => sum(t, (r) => r.non2xx + r.errors + r.timeouts);
  const rows: string[][] = [['server', 'req/s', 'p99 latency (worst pass)', 'non-2xx / errors', 'ours / this']];
  for (const t of targets) {
    if (!ok(t)) {
      rows.push([t.label, 'n/a', 'n/a', '', t.error ?? '']);
      continue;
    }
    const p99 = Math.max(...t.passes.map((r) => r.latency.p99));
    rows.push([t.label, fmtCount(rps(t)), fmtMs(p99), `${sum(t, (r) => r.non2xx)} / ${sum(t, (r) => r.errors + r.timeouts)}`, t === ours ? '1.00x' : fmtRatio(rps(ours) / rps(t))]);
  }
  out(
    `  autocannon: ${config.loadConnections} connections, ${config.loadPasses} pass(es) of ${config.loadSeconds} s per server, ` +
      `servers in turn (after ${config.loadWarmupSeconds} s of warm-up each); req/s is the mean over the passes`,
  );
  out(table(rows));
  for (const t of targets) if (t.error) out(`  ! ${t.label}: ${t.error}`);

  const checks: Check[] = [];
  if (ok(ours) && ok(prism)) {
    const ratio = rps(ours) / rps(prism);
    const clean = failures(ours) === 0;
    checks.push({
      name: 'request throughput: emulator req/s vs Prism',
      value: fmtRatio(ratio),
      target: `>= ${TARGET}x Prism`,
      verdict: clean ? verdict(ratio >= TARGET) : 'MISS',
      note: clean ? undefined : 'the emulator answered non-2xx or errors',
    });
  } else {
    checks.push({ name: 'request throughput: emulator req/s vs Prism', value: 'n/a', target: `>= ${TARGET}x Prism`, verdict: 'SKIP', note: prism.error ?? ours.error });
  }
  if (ok(ours) && ok(bare)) {
    checks.push({ name: 'request throughput: emulator req/s vs bare node:http (ceiling)', value: fmtRatio(rps(ours) / rps(bare)), target: '(context)', verdict: 'INFO' });
  }
  return checks;
}
