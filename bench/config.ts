import { cpus, loadavg } from 'node:os';

/**
 * Sizes of every benchmark. The full sizes are the ones the issue names; BENCH_QUICK=1 cuts
 * them so a run takes well under a minute (for checking the bench itself, not for numbers).
 */
export interface BenchConfig {
  quick: boolean;
  /** Sequential round trips per variant, after `execWarmup` discarded ones. */
  execRounds: number;
  execWarmup: number;
  /** autocannon, per server: the same for all three, in `loadPasses` passes over the servers. */
  loadConnections: number;
  loadSeconds: number;
  loadPasses: number;
  loadWarmupSeconds: number;
  /** Output sizes of the log benchmark, in MiB, smallest first: the two largest are compared for memory. */
  logSizesMiB: number[];
  /** The size whose follow throughput is checked against the target (one of logSizesMiB). */
  followSizeMiB: number;
  /** Bare-pipe runs per size (the median is the baseline). */
  bareLogRuns: number;
  concurrency: number;
  concurrencyRounds: number;
  /** Cold starts per server after one discarded start (the OS page cache warms up, a changed source is rebuilt). */
  coldStarts: number;
}

export function benchConfig(env: NodeJS.ProcessEnv = process.env): BenchConfig {
  const quick = env.BENCH_QUICK === '1' || env.BENCH_QUICK === 'true';
  return quick
    ? {
        quick,
        execRounds: 40,
        execWarmup: 10,
        loadConnections: 10,
        loadSeconds: 3,
        loadPasses: 1,
        loadWarmupSeconds: 1,
        logSizesMiB: [16, 64, 256],
        followSizeMiB: 64,
        bareLogRuns: 1,
        concurrency: 200,
        concurrencyRounds: 1,
        coldStarts: 1,
      }
    : {
        quick,
        execRounds: 200,
        execWarmup: 20,
        loadConnections: 10,
        loadSeconds: 5,
        loadPasses: 2,
        loadWarmupSeconds: 1,
        // The 256 MiB for throughput; 1 GiB shows where memory levels off.
        logSizesMiB: [64, 256, 1024],
        followSizeMiB: 256,
        bareLogRuns: 3,
        concurrency: 200,
        concurrencyRounds: 3,
        coldStarts: 3,
      };
}

export function machineLine(config: BenchConfig): string {
  const mode = config.quick ? 'BENCH_QUICK=1: reduced sizes, numbers for checking the bench only' : 'full sizes';
  return `node ${process.version}, ${cpus().length} cpus, ${mode}; ${loadLine()}`;
}

/** The machine is shared: its load says how much the absolute numbers (not the ratios) mean. */
export function loadLine(): string {
  return `load average ${loadavg().map((l) => l.toFixed(1)).join(' ')}`;
}
