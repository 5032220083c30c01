import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { AGENTBOX_OUTPUT_CAP_BYTES } from '../emulator/providers/agentbox/index.ts';
import { LOGS_BYTES } from '../emulator/providers/blaxel/process-view.ts';
import { TENSORLAKE_OUTPUT_CAP_BYTES } from '../emulator/providers/tensorlake/index.ts';
import { endChild, spawnTracked, startBarePipeServer, startEmulatorCli, type RunningServer } from './children.ts';
import type { BenchConfig } from './config.ts';
import { jsonOf, MarkerCounter, postJson, streamGet } from './http.ts';
import { out, table, verdict, type Check } from './report.ts';
import { fmtCount, fmtMiB, fmtMs, fmtRate, fmtRatio, median } from './stats.ts';

const THROUGHPUT_TARGET = 0.5;
/** "Roughly equal": the peak RSS at the largest output within this factor of the next size's. */
const RSS_TARGET = 1.25;

// Lines matter: Tensorlake and AgentBox frame output per line. 100 characters and a newline.
const LINE = 'a'.repeat(100);
const LINE_BYTES = LINE.length + 1;

type Provider = 'blaxel' | 'tensorlake' | 'agentbox';
const PROVIDERS: Provider[] = ['blaxel', 'tensorlake', 'agentbox'];

const FOLLOW: Record<Provider, { label: string; marker: string }> = {
  // text/plain, one `stdout:<line>` per line.
  blaxel: { label: 'blaxel GET /process/{pid}/logs/stream', marker: 'stdout:' },
  // SSE, one `event: output` frame per line.
  tensorlake: { label: 'tensorlake GET /processes/{pid}/output/follow (SSE)', marker: 'event: output\n' },
  // NDJSON, one entry per line of the pool's container.
  agentbox: { label: 'agentbox GET /sandboxes/{id}/logs/stream (NDJSON)', marker: '"log":"' },
};

/**
 * The writer: `sleep` first, so that every reader is attached before the first byte (a follow
 * that starts late gets a replay of what the cap kept, which is not what is measured), then
 * `lines` lines of 100 characters. Time is taken from the first line read to the end.
 */
function writer(sizeMiB: number): { command: string; lines: number } {
  const lines = Math.floor((sizeMiB * 1024 * 1024) / LINE_BYTES);
  return { command: `sleep 0.5 && yes ${LINE} | head -n ${lines}`, lines };
}

interface RunResult {
  lines: number;
  wireBytes: number;
  seconds: number;
  /** Emulator only: RSS in bytes before the writer starts, and VmHWM (the peak) at the end. */
  idleRss?: number;
  peakRss?: number;
  /** The follow was still running at the time limit and was cut there. */
  cut?: boolean;
  error?: string;
}

/** VmRSS and VmHWM of a process, from /proc (Linux), in bytes. */
function memoryOf(pid: number): { rss: number; hwm: number } | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? Number.NaN) * 1024;
    return { rss: kb('VmRSS'), hwm: kb('VmHWM') };
  } catch {
    return undefined;
  }
}

async function bareRun(sizeMiB: number, timeoutMs: number): Promise<RunResult> {
  const { command } = writer(sizeMiB);
  const counter = new MarkerCounter('\n');
  let first = 0;
  const child = spawnTracked('sh', ['-c', command], { stdio: ['ignore', 'pipe', 'ignore'] });
  try {
    const ended = await new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`the bare pipe did not end within ${timeoutMs} ms`)), timeoutMs);
      child.stdout!.on('data', (chunk: Buffer) => {
        if (first === 0) first = performance.now();
        counter.push(chunk);
      });
      child.stdout!.once('end', () => {
        clearTimeout(timer);
        resolve(performance.now());
      });
      child.once('error', reject);
    });
    return { lines: counter.count, wireBytes: counter.bytes, seconds: (ended - first) / 1000 };
  } finally {
    await endChild(child);
  }
}

/** The same command piped into a chunked HTTP answer by a bare server: what any HTTP follow can reach. */
async function ceilingRun(server: RunningServer, sizeMiB: number, limitMs: number): Promise<RunResult> {
  const { command } = writer(sizeMiB);
  const counter = new MarkerCounter('\n');
  let first = 0;
  const { status, cut } = await streamGet(
    `${server.origin}/?command=${encodeURIComponent(command)}`,
    (chunk) => {
      if (first === 0) first = performance.now();
      counter.push(chunk);
    },
    limitMs,
  );
  const ended = performance.now();
  if (status !== 200) return { lines: 0, wireBytes: 0, seconds: 0, error: `the bare pipe server answered HTTP ${status}` };
  return { lines: counter.count, wireBytes: counter.bytes, seconds: (ended - first) / 1000, cut };
}

/** Starts the writer through the provider's API and answers the URL of its follow stream. */
async function startWriter(provider: Provider, origin: string, command: string): Promise<string> {
  if (provider === 'blaxel') {
    const base = `${origin}/blaxel/sandboxes/bench-logs/process`;
    const started = jsonOf<{ pid: string }>(await postJson(base, { command }), 'start the writer through Blaxel');
    return `${base}/${started.pid}/logs/stream`;
  }
  if (provider === 'tensorlake') {
    const base = `${origin}/tensorlake/sandboxes/bench-logs/api/v1/processes`;
    const started = jsonOf<{ pid: number }>(await postJson(base, { command: 'sh', args: ['-c', command] }), 'start the writer through Tensorlake');
    return `${base}/${started.pid}/output/follow`;
  }
  const base = `${origin}/agentbox/v1/sandboxes`;
  const claimed = jsonOf<{ sandbox: { sandboxId: string } }>(await postJson(base, { poolName: 'flood' }), 'claim a flood sandbox from AgentBox');
  return `${base}/${claimed.sandbox.sandboxId}/logs/stream`;
}

async function followRun(provider: Provider, sizeMiB: number, limitMs: number): Promise<RunResult> {
  const { command } = writer(sizeMiB);
  const args = ['--providers', provider];
  let configDir: string | undefined;
  if (provider === 'agentbox') {
    // A pool whose container is the writer: its log is what the stream follows.
    configDir = await mkdtemp(join(tmpdir(), 'sandbox-emulator-bench-'));
    const file = join(configDir, 'pools.json');
    await writeFile(file, JSON.stringify({ pools: [{ name: 'flood', containers: [{ name: 'sandbox', command }] }] }));
    args.push('--config', file);
  }
  const emulator = await startEmulatorCli(args);
  let peakSeen = 0;
  const sampler = setInterval(() => {
    const m = memoryOf(emulator.pid);
    if (m) peakSeen = Math.max(peakSeen, m.hwm, m.rss);
  }, 50);
  try {
    const idleRss = memoryOf(emulator.pid)?.rss;
    const url = await startWriter(provider, emulator.origin, command);
    const counter = new MarkerCounter(FOLLOW[provider].marker);
    let first = 0;
    const { status, cut } = await streamGet(
      url,
      (chunk) => {
        counter.push(chunk);
        if (first === 0 && counter.count > 0) first = performance.now();
      },
      limitMs,
    );
    const ended = performance.now();
    const m = memoryOf(emulator.pid);
    if (m) peakSeen = Math.max(peakSeen, m.hwm, m.rss);
    if (status !== 200) return { lines: 0, wireBytes: 0, seconds: 0, error: `the follow answered HTTP ${status}` };
    return {
      lines: counter.count,
      wireBytes: counter.bytes,
      seconds: (ended - first) / 1000,
      idleRss,
      peakRss: peakSeen,
      cut,
      error: emulator.stderr().trim() ? `emulator stderr: ${emulator.stderr().trim().split('\n').slice(0, 2).join(' | ')}` : undefined,
    };
  } finally {
    clearInterval(sampler);
    await emulator.stop();
    if (configDir) await rm(configDir, { recursive: true, force: true });
  }
}

/**
 * A process writing N MiB of 100-character lines, read through each provider's follow stream,
 * against reading the same command's output through a bare pipe; and the emulator's peak RSS
 * (VmHWM of the CLI process, sampled from /proc) while it runs. Each follow gets an emulator
 * process of its own, so each peak is that run's alone.
 */
export async function logFollow(config: BenchConfig): Promise<Check[]> {
  // Bounds the section: a follow still running then is cut, and its rate is what it reached.
  const limitMs = config.quick ? 45_000 : 90_000;
  const results = new Map<string, RunResult>();
  const key = (who: string, size: number) => `${who}@${size}`;
  const checks: Check[] = [];
  const rows: string[][] = [['size', 'reader', 'lines read / written', 'first line -> end', 'output MiB/s', 'vs bare pipe', 'vs http ceiling', 'bytes on the wire', 'emulator RSS idle -> peak']];

  const bareRuns = new Map<number, RunResult[]>(config.logSizesMiB.map((size) => [size, []]));
  const ceilingRuns = new Map<number, RunResult[]>(config.logSizesMiB.map((size) => [size, []]));
  const ceilingServer = await startBarePipeServer();
  const bareRound = async () => {
    for (const size of config.logSizesMiB) {
      bareRuns.get(size)!.push(await bareRun(size, limitMs));
      ceilingRuns.get(size)!.push(await ceilingRun(ceilingServer, size, limitMs));
    }
  };
  // The bare-pipe runs are spread over the section (one round before each provider, while
  // rounds are left), so that a change in the machine's load lands on the baseline too.
  for (const [index, provider] of PROVIDERS.entries()) {
    if (index < config.bareLogRuns) await bareRound();
    for (const size of config.logSizesMiB) {
      let result: RunResult;
      try {
        result = await followRun(provider, size, limitMs);
      } catch (error) {
        result = { lines: 0, wireBytes: 0, seconds: 0, error: (error as Error).message };
      }
      results.set(key(provider, size), result);
    }
  }
  while ((bareRuns.get(config.logSizesMiB[0])?.length ?? 0) < config.bareLogRuns) await bareRound();
  await ceilingServer.stop();
  const rateOf = (r: RunResult) => (r.lines * LINE_BYTES) / r.seconds;
  /** The run with the median rate: a baseline that one unlucky run does not move. */
  const medianRun = (runs: RunResult[]) => {
    const rate = median(runs.map(rateOf));
    return runs.find((r) => rateOf(r) === rate)!;
  };

  for (const size of config.logSizesMiB) {
    const { lines: expected } = writer(size);
    const bare = bareRuns.get(size)!;
    const bareMedian = medianRun(bare);
    const bareRate = rateOf(bareMedian);
    const ceiling = medianRun(ceilingRuns.get(size)!);
    const ceilingRate = rateOf(ceiling);
    results.set(key('bare', size), bareMedian);
    results.set(key('ceiling', size), ceiling);
    rows.push([`${size} MiB`, `bare pipe (median of ${bare.length})`, `${fmtCount(bareMedian.lines)} / ${fmtCount(expected)}`, fmtMs(bareMedian.seconds * 1000), fmtRate(bareRate), '1.00x', '', fmtMiB(bareMedian.wireBytes), '']);
    rows.push(['', `bare node:http pipe, no framing (median of ${bare.length})`, `${fmtCount(ceiling.lines)} / ${fmtCount(expected)}`, fmtMs(ceiling.seconds * 1000), fmtRate(ceilingRate), fmtRatio(ceilingRate / bareRate), '1.00x', fmtMiB(ceiling.wireBytes), '']);
    for (const provider of PROVIDERS) {
      const result = results.get(key(provider, size))!;
      const rate = rateOf(result);
      const missing = result.cut ? ` (cut at ${limitMs / 1000} s)` : result.lines < expected ? ` (${(100 * (1 - result.lines / expected)).toFixed(1)}% lost)` : '';
      rows.push([
        '',
        FOLLOW[provider].label,
        `${fmtCount(result.lines)} / ${fmtCount(expected)}${missing}`,
        result.seconds > 0 ? fmtMs(result.seconds * 1000) : 'n/a',
        result.seconds > 0 ? fmtRate(rate) : 'n/a',
        result.seconds > 0 ? fmtRatio(rate / bareRate) : 'n/a',
        result.seconds > 0 ? fmtRatio(rate / ceilingRate) : 'n/a',
        result.wireBytes > 0 ? fmtMiB(result.wireBytes) : 'n/a',
        result.peakRss ? `${fmtMiB(result.idleRss ?? Number.NaN)} -> ${fmtMiB(result.peakRss)}` : '',
      ]);
    }
  }
  out(`  writer: sh -c 'sleep 0.5 && yes <100 x a> | head -n N' (101-byte lines); output MiB/s = lines read x 101 B / (first line -> end)`);
  out(`  caps per stream (provider defaults): blaxel ${fmtMiB(LOGS_BYTES)}, tensorlake ${fmtMiB(TENSORLAKE_OUTPUT_CAP_BYTES)}, agentbox ${fmtMiB(AGENTBOX_OUTPUT_CAP_BYTES)}`);
  out(table(rows));
  for (const [name, r] of results) if (r.error) out(`  ! ${name.replace('@', ' at ')} MiB: ${r.error}`);

  const large = config.followSizeMiB;
  const bareRate = rateOf(results.get(key('bare', large))!);
  checks.push({
    name: `log follow at ${large} MiB: bare node:http pipe (the ceiling)`,
    value: `${fmtRatio(rateOf(results.get(key('ceiling', large))!) / bareRate)} of bare pipe`,
    target: '(context)',
    verdict: 'INFO',
  });
  const expected = writer(large).lines;
  for (const provider of PROVIDERS) {
    const r = results.get(key(provider, large))!;
    const ratio = r.seconds > 0 ? (r.lines * LINE_BYTES) / r.seconds / bareRate : Number.NaN;
    const lost = !r.cut && r.lines < expected;
    checks.push({
      name: `log follow throughput at ${large} MiB: ${provider}`,
      value: `${fmtRatio(ratio)} of bare pipe`,
      target: `>= ${THROUGHPUT_TARGET}x bare pipe`,
      verdict: Number.isFinite(ratio) && !lost ? verdict(ratio >= THROUGHPUT_TARGET) : 'MISS',
      note: lost ? `${fmtCount(expected - r.lines)} of ${fmtCount(expected)} lines never reached the reader` : r.cut ? `cut at ${limitMs / 1000} s` : undefined,
    });
  }
  // Memory: the peak at the largest output against the one below it. Memory bound by the caps
  // stays level as the output grows; memory that follows the output grows with it. The smallest
  // size is shown too: below a few hundred MiB the allocators are still settling.
  const sizes = config.logSizesMiB;
  const [below, largest] = sizes.slice(-2);
  for (const provider of PROVIDERS) {
    const peaks = sizes.map((size) => results.get(key(provider, size))!.peakRss);
    const [a, b] = peaks.slice(-2);
    const ok = a !== undefined && b !== undefined;
    const ratio = ok ? b / a : Number.NaN;
    checks.push({
      name: `emulator peak RSS, ${below} MiB vs ${largest} MiB of output: ${provider}`,
      value: ok ? `${peaks.map((p) => (p === undefined ? 'n/a' : fmtMiB(p))).join(' / ')} (${fmtRatio(ratio)})` : 'n/a',
      target: `<= ${RSS_TARGET}x (cap-bound)`,
      verdict: ok ? verdict(ratio <= RSS_TARGET) : 'MISS',
    });
  }
  return checks;
}
