import { performance } from 'node:perf_hooks';
import { CLI, endChild, freePort, prismInstalled, spawnPrism, spawnTracked } from './children.ts';
import type { BenchConfig } from './config.ts';
import { waitFor200 } from './poll.ts';
import { out, table, verdict, type Check } from './report.ts';
import { fmtMs, fmtRatio, median } from './stats.ts';

// Issue 13: under 0.3 s to the first answered request.
const TARGET_MS = 300;
const HEADERS = { authorization: 'Bearer bench' };

/** Spawn to the first 200: the clock starts before spawn() and stops at the first 200 answer. */
async function coldStart(kind: 'emulator' | 'prism'): Promise<number> {
  const port = await freePort();
  const t0 = performance.now();
  let child;
  let url: string;
  let stderr: () => string;
  if (kind === 'emulator') {
    child = spawnTracked(process.execPath, [CLI, 'start', '--port', String(port), '--quiet'], { stdio: ['ignore', 'ignore', 'pipe'] });
    let text = '';
    child.stderr?.on('data', (chunk: Buffer) => (text += chunk.toString('utf8').slice(0, 4096)));
    stderr = () => text;
    url = `http://127.0.0.1:${port}/blaxel/sandboxes/cold/process`;
  } else {
    ({ child, stderr } = spawnPrism(port));
    url = `http://127.0.0.1:${port}/process`;
  }
  try {
    const ready = await waitFor200(url, HEADERS, 60_000, child, 10);
    const elapsed = performance.now() - t0;
    if (!ready.ok) throw new Error(`${kind} never answered 200: ${ready.reason}. ${stderr().trim().split('\n').slice(-3).join(' | ')}`);
    return elapsed;
  } finally {
    await endChild(child);
  }
}

/**
 * Cold start to the first answered request: spawn the CLI, poll GET of the process list every
 * 10 ms until it answers 200. The same for `prism mock` on the same document. One start of each
 * is discarded first: it warms the OS page cache, and for ours it rebuilds dist/cli.js if a
 * source changed since the last build, and validates a document changed since the last start.
 */
export async function coldStarts(config: BenchConfig): Promise<Check[]> {
  const ours: number[] = [];
  const prism: number[] = [];
  let prismError = prismInstalled();
  await coldStart('emulator');
  if (!prismError) {
    try {
      await coldStart('prism');
    } catch (error) {
      prismError = (error as Error).message;
    }
  }
  for (let i = 0; i < config.coldStarts; i++) {
    ours.push(await coldStart('emulator'));
    if (!prismError) {
      try {
        prism.push(await coldStart('prism'));
      } catch (error) {
        prismError = (error as Error).message;
      }
    }
  }
  const oursMs = median(ours);
  const prismMs = median(prism);
  const rows: string[][] = [
    ['server', `spawn -> first 200 (median of ${config.coldStarts})`, 'each'],
    ['emulator: node bin/sandbox-emulator.js start --quiet (npm start)', fmtMs(oursMs), ours.map(fmtMs).join(', ')],
    ['prism mock specs/blaxel.yaml', prism.length ? fmtMs(prismMs) : 'n/a', prism.length ? prism.map(fmtMs).join(', ') : (prismError ?? '')],
  ];
  out(table(rows));
  const checks: Check[] = [{ name: 'cold start to first 200: emulator', value: fmtMs(oursMs), target: `< ${TARGET_MS} ms`, verdict: verdict(oursMs < TARGET_MS) }];
  checks.push(
    prism.length
      ? { name: 'cold start: emulator / Prism', value: fmtRatio(oursMs / prismMs), target: '(context)', verdict: 'INFO' }
      : { name: 'cold start: emulator / Prism', value: 'n/a', target: '(context)', verdict: 'SKIP', note: prismError },
  );
  return checks;
}
