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
  /**
   * Ends the follow once the output below this sequence number has been read, when it
   * resolves (the end of one run of a restarting process).
   */
  endBefore?: Promise<number>;
}

/**
 * Everything a live reader of one process needs, in one sequence: its output (replay, then live),
 * keepalive ticks, and banners issued from now on. Ends when the output is closed and drained,
 * the client goes (`signal`), or the deadline passes. Exactly one pending wait of each kind is
 * kept, so a long-lived follower of a chatty process allocates nothing per chunk beyond the chunk.
 */
export async function* processEvents(entry: ProcessEntry, options: ProcessEventsOptions): AsyncGenerator<ProcessEvent> {
  const { signal, tickMs } = options;
  const follow = entry.output.follow({ signal });
  let bannerIndex = entry.banners.length;
  let nextTickAt = Date.now() + tickMs;
  let tickTimer: NodeJS.Timeout | undefined;
  let deadlineTimer: NodeJS.Timeout | undefined;
  let banner: { promise: Promise<void>; cancel: () => void } | undefined;

  // The slow sources (ticks, banners, the deadline) only raise flags and wake the current wait.
  // Racing the chunk against their long-pending promises instead would hang one reaction per
  // chunk on each of them, and every reaction keeps its chunk alive: memory would grow with the
  // output instead of staying within the cap.
  const raised = { tick: false, banner: false, deadline: false, end: false };
  let endSeq: number | undefined;
  let cursor = 0;
  let wakeUp: (() => void) | undefined;
  const raise = (flag: keyof typeof raised) => {
    raised[flag] = true;
    wakeUp?.();
  };
  const armTick = () => {
    tickTimer = setTimeout(() => raise('tick'), Math.max(0, nextTickAt - Date.now()));
  };
  const armBanner = () => {
    banner = entry.nextBanner();
    void banner.promise.then(() => raise('banner'));
  };
  if (options.deadlineAt !== undefined) {
    deadlineTimer = setTimeout(() => raise('deadline'), Math.max(0, options.deadlineAt - Date.now()));
  }
  armTick();
  armBanner();
  void options.endBefore?.then((seq) => {
    endSeq = seq;
    raise('end');
  });

  let chunkWait: Promise<IteratorResult<OutputChunk>> | undefined;
  try {
    for (;;) {
      while (bannerIndex < entry.banners.length) yield { kind: 'banner', text: entry.banners[bannerIndex++] };
      if (raised.deadline) {
        yield { kind: 'deadline' };
        return;
      }
      if (raised.tick) {
        raised.tick = false;
        nextTickAt += tickMs;
        armTick();
        if (entry.running) yield { kind: 'tick' };
        continue;
      }
      if (raised.banner) {
        raised.banner = false;
        armBanner();
        continue;
      }
      // Everything below the end is read (a chunk cut away by the cap is not waited for).
      if (endSeq !== undefined && !entry.output.chunks({ fromSeq: cursor }).some((c) => c.seq < endSeq!)) {
        while (bannerIndex < entry.banners.length) yield { kind: 'banner', text: entry.banners[bannerIndex++] };
        return;
      }
      chunkWait ??= follow.next();
      const woken = new Promise<'woken'>((resolve) => {
        wakeUp = () => resolve('woken');
      });
      const result = await Promise.race([chunkWait, woken]);
      wakeUp = undefined;
      if (result === 'woken') continue;
      chunkWait = undefined;
      if (!result.done) cursor = result.value.seq + 1;
      if (!result.done && endSeq !== undefined && result.value.seq >= endSeq) return;
      if (result.done) {
        while (bannerIndex < entry.banners.length) yield { kind: 'banner', text: entry.banners[bannerIndex++] };
        return;
      }
      yield { kind: 'chunk', chunk: result.value };
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
