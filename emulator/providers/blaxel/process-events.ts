import type { OutputChunk } from '../../core/output-log.ts';
import type { ProcessEntry } from './process-entry.ts';

export type ProcessEvent =
  | { kind: 'chunk'; chunk: OutputChunk }
  /** A keepalive interval passed while the process runs. */
  | { kind: 'tick' }
  /** A control line (stop/kill banner) issued while following. */
  | { kind: 'banner'; text: string }
  /** The deadline passed; nothing follows. */
  | { kind: 'deadline' };

export interface ProcessEventsOptions {
  signal: AbortSignal;
  /** Interval of `tick` events, counted from the start (not from the last event). */
  tickMs: number;
  /** Epoch ms after which the follow ends with a `deadline` event. */
  deadlineAt?: number;
}

type Wake = { kind: 'chunk'; result: IteratorResult<OutputChunk> } | { kind: 'tick' } | { kind: 'banner' } | { kind: 'deadline' };

/**
 * Everything a live reader of one process needs, in one sequence: its output (replay, then live),
 * keepalive ticks, and banners issued from now on. Ends when the output is closed and drained,
 * the client goes (`signal`), or the deadline passes. Exactly one pending wait of each kind is
 * kept, so a long-lived follower of a chatty process allocates nothing per chunk beyond the chunk.
 */
export async function* processEvents(entry: ProcessEntry, options: ProcessEventsOptions): AsyncGenerator<ProcessEvent> {
  const { signal, tickMs } = options;
  const follow = entry.proc.output.follow({ signal });
  let bannerIndex = entry.banners.length;
  let nextTickAt = Date.now() + tickMs;
  let tickTimer: NodeJS.Timeout | undefined;
  let deadlineTimer: NodeJS.Timeout | undefined;
  let banner: { promise: Promise<void>; cancel: () => void } | undefined;

  const nextChunk = (): Promise<Wake> => follow.next().then((result) => ({ kind: 'chunk', result }));
  const nextTick = (): Promise<Wake> =>
    new Promise((resolve) => {
      tickTimer = setTimeout(() => resolve({ kind: 'tick' }), Math.max(0, nextTickAt - Date.now()));
    });
  const nextBanner = (): Promise<Wake> => {
    banner = entry.nextBanner();
    return banner.promise.then(() => ({ kind: 'banner' }));
  };
  const deadline =
    options.deadlineAt === undefined
      ? new Promise<Wake>(() => {})
      : new Promise<Wake>((resolve) => {
          deadlineTimer = setTimeout(() => resolve({ kind: 'deadline' }), Math.max(0, options.deadlineAt! - Date.now()));
        });

  let chunkWait = nextChunk();
  let tickWait = nextTick();
  let bannerWait = nextBanner();
  try {
    for (;;) {
      while (bannerIndex < entry.banners.length) yield { kind: 'banner', text: entry.banners[bannerIndex++] };
      const wake = await Promise.race([chunkWait, tickWait, bannerWait, deadline]);
      if (wake.kind === 'deadline') {
        yield { kind: 'deadline' };
        return;
      }
      if (wake.kind === 'tick') {
        nextTickAt += tickMs;
        tickWait = nextTick();
        if (entry.proc.running) yield { kind: 'tick' };
        continue;
      }
      if (wake.kind === 'banner') {
        bannerWait = nextBanner();
        continue;
      }
      if (wake.result.done) {
        while (bannerIndex < entry.banners.length) yield { kind: 'banner', text: entry.banners[bannerIndex++] };
        return;
      }
      chunkWait = nextChunk();
      yield { kind: 'chunk', chunk: wake.result.value };
    }
  } finally {
    clearTimeout(tickTimer);
    clearTimeout(deadlineTimer);
    banner?.cancel();
    // A pending next() of the follower would make return() wait for it; the signal (client gone)
    // or the log's close ends that one. Only return() when nothing is pending.
    void follow.return(undefined);
  }
}
