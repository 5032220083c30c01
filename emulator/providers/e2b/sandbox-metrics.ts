import { availableParallelism, totalmem } from 'node:os';
import { diskUsage } from '../../core/disk-usage.ts';
import { treeUsage } from '../../core/process-usage.ts';
import type { Handler } from '../../kernel/exchange.ts';
import { json } from '../respond.ts';
import { noSuchSandbox } from './dialects.ts';
import type { E2bSandbox, E2bState } from './e2b-state.ts';

/**
 * E2B's sandbox metrics (`sandbox.getMetrics()`), measured: E2B samples each machine every few
 * seconds; here a sandbox is its processes and its folder on the host, so a sample is taken when
 * metrics are asked for (at most one a second) and kept as E2B keeps its series. CPU is the
 * sandbox's processes' CPU time since the sample before, over the host's cores; memory their
 * resident set; disk its folder's blocks on the host's filesystem. The page cache cannot be told
 * apart per sandbox: memCache is 0.
 */
interface Metric {
  timestamp: string;
  timestampUnix: number;
  cpuCount: number;
  cpuUsedPct: number;
  memUsed: number;
  memTotal: number;
  memCache: number;
  diskUsed: number;
  diskTotal: number;
}

interface Series {
  samples: Metric[];
  /** The CPU seconds of the last sample, and when it was taken (ms). */
  cpu: { seconds: number; at: number };
}

/** An hour of samples at E2B's five-second interval; older ones go first. */
const MAX_SAMPLES = 720;
const MIN_INTERVAL_MS = 1000;

const seriesOf = new WeakMap<E2bSandbox, Series>();

async function sample(state: E2bState, sandbox: E2bSandbox): Promise<Series> {
  let series = seriesOf.get(sandbox);
  if (!series) seriesOf.set(sandbox, (series = { samples: [], cpu: { seconds: 0, at: sandbox.data.startedAt } }));
  const now = state.now();
  if (series.samples.length > 0 && now - series.cpu.at < MIN_INTERVAL_MS) return series;
  const usage = treeUsage(sandbox.processes.tree);
  const disk = await diskUsage(sandbox.dir);
  const cpuCount = availableParallelism();
  const wallSeconds = (now - series.cpu.at) / 1000;
  // Processes that ended since took their time with them: a drop is no negative use.
  const busy = wallSeconds > 0 ? ((usage.cpuSeconds - series.cpu.seconds) / wallSeconds / cpuCount) * 100 : 0;
  series.cpu = { seconds: usage.cpuSeconds, at: now };
  series.samples.push({
    timestamp: new Date(now).toISOString(),
    timestampUnix: Math.floor(now / 1000),
    cpuCount,
    cpuUsedPct: Math.round(Math.min(100, Math.max(0, busy)) * 100) / 100,
    memUsed: usage.rssBytes,
    memTotal: totalmem(),
    memCache: 0,
    diskUsed: disk.usedBytes,
    diskTotal: disk.totalBytes,
  });
  if (series.samples.length > MAX_SAMPLES) series.samples.shift();
  return series;
}

export function sandboxMetricsHandler(state: E2bState): Handler {
  return async ({ params, query }) => {
    const sandbox = state.registry.get(params.sandboxID);
    if (!sandbox) return noSuchSandbox(params.sandboxID);
    // A paused sandbox runs nothing: its series stands still.
    const series = sandbox.data.paused ? (seriesOf.get(sandbox) ?? { samples: [] }) : await sample(state, sandbox);
    const start = query.has('start') ? Number(query.get('start')) : -Infinity;
    const end = query.has('end') ? Number(query.get('end')) : Infinity;
    return json(200, series.samples.filter((m) => m.timestampUnix >= start && m.timestampUnix <= end));
  };
}
