export type StreamName = 'stdout' | 'stderr';
export const STREAMS: readonly StreamName[] = ['stdout', 'stderr'];

/** One read from a child's pipe, as it arrived. */
export interface OutputChunk {
  /** Position in the merged order of both streams; starts at 0 and has no gaps. */
  seq: number;
  stream: StreamName;
  /** Milliseconds since the epoch when the bytes were read. */
  time: number;
  data: Buffer;
}

export interface OutputLogOptions {
  /**
   * Bytes kept per stream. Older bytes are dropped first (and counted), so a process that
   * writes without end costs at most this much memory per stream. Providers pass their own
   * limit (Blaxel keeps 4 MiB per stream, for example).
   */
  capBytes: number;
  /** Clock, injectable so tests and fixtures can make timestamps deterministic. */
  now?: () => number;
}

export interface FollowOptions {
  /** First sequence number wanted; 0 replays everything still held. Default: 0. */
  fromSeq?: number;
  /** Streams wanted. Default: both. */
  streams?: readonly StreamName[];
  /** Ends the follow early (client gone). */
  signal?: AbortSignal;
}

/**
 * The captured output of one process: both streams in one sequence, bounded per stream.
 *
 * Readers never get their own copy of the data: a follower is a cursor over the chunks the log
 * still holds, so a slow reader cannot make the emulator buffer more than the cap. A follower
 * that falls behind the cap skips the dropped chunks and can see how many it missed through
 * `firstSeq`.
 */
export class OutputLog {
  private readonly capBytes: number;
  private readonly now: () => number;
  private readonly held: Record<StreamName, OutputChunk[]> = { stdout: [], stderr: [] };
  private readonly heldBytes: Record<StreamName, number> = { stdout: 0, stderr: 0 };
  private readonly droppedBytes: Record<StreamName, number> = { stdout: 0, stderr: 0 };
  private readonly totalBytes: Record<StreamName, number> = { stdout: 0, stderr: 0 };
  private next = 0;
  private ended = false;
  private waiters: Array<() => void> = [];
  private following = 0;

  constructor(options: OutputLogOptions) {
    if (!(options.capBytes >= 0)) throw new RangeError(`capBytes must be >= 0, got ${options.capBytes}`);
    this.capBytes = options.capBytes;
    this.now = options.now ?? Date.now;
  }

  /** Records bytes read from a stream. Ignored once the log is closed. */
  append(stream: StreamName, data: Buffer): OutputChunk | undefined {
    if (this.ended || data.length === 0) return undefined;
    const chunk: OutputChunk = { seq: this.next++, stream, time: this.now(), data };
    this.totalBytes[stream] += data.length;
    this.held[stream].push(chunk);
    this.heldBytes[stream] += data.length;
    this.evict(stream);
    this.wake();
    return chunk;
  }

  /** No more output will come: followers drain what is held and finish. */
  close(): void {
    if (this.ended) return;
    this.ended = true;
    this.wake();
  }

  get closed(): boolean {
    return this.ended;
  }

  /**
   * `follow()` generators running now. Each open stream holds one; a client that goes away must
   * give it back, so this returns to zero once every reader is gone.
   */
  get followers(): number {
    return this.following;
  }

  /** The sequence number the next chunk will get. */
  get nextSeq(): number {
    return this.next;
  }

  bytesHeld(stream: StreamName): number {
    return this.heldBytes[stream];
  }

  /** Bytes dropped from the head of a stream to respect the cap. */
  dropped(stream: StreamName): number {
    return this.droppedBytes[stream];
  }

  /** Every byte the stream ever produced, held or dropped. */
  total(stream: StreamName): number {
    return this.totalBytes[stream];
  }

  /** Held chunks with seq >= fromSeq, of the wanted streams, in merged order. */
  chunks(options: { fromSeq?: number; streams?: readonly StreamName[] } = {}): OutputChunk[] {
    const fromSeq = options.fromSeq ?? 0;
    const streams = options.streams ?? STREAMS;
    const lists = streams.map((s) => this.tailFrom(this.held[s], fromSeq));
    if (lists.length === 1) return lists[0];
    // Two sorted lists: a merge keeps the exact interleaving the process produced.
    const [a, b] = lists;
    const out: OutputChunk[] = [];
    let i = 0;
    let j = 0;
    while (i < a.length || j < b.length) {
      if (j >= b.length || (i < a.length && a[i].seq < b[j].seq)) out.push(a[i++]);
      else out.push(b[j++]);
    }
    return out;
  }

  /** The held bytes of one stream, concatenated. */
  bytes(stream: StreamName): Buffer {
    return Buffer.concat(this.held[stream].map((c) => c.data));
  }

  /**
   * Replays the held chunks from `fromSeq`, then yields live chunks as they arrive, and ends
   * once the log is closed and drained (or the signal aborts).
   */
  async *follow(options: FollowOptions = {}): AsyncGenerator<OutputChunk> {
    let cursor = options.fromSeq ?? 0;
    const streams = options.streams ?? STREAMS;
    const signal = options.signal;
    this.following++;
    try {
      while (!signal?.aborted) {
        const ready = this.chunks({ fromSeq: cursor, streams });
        for (const chunk of ready) {
          if (signal?.aborted) return;
          cursor = chunk.seq + 1;
          yield chunk;
        }
        if (ready.length > 0) continue;
        if (this.ended) return;
        await this.changed(signal);
      }
    } finally {
      this.following--;
    }
  }

  /** Resolves at the next append or close, or when the signal aborts. */
  changed(signal?: AbortSignal): Promise<void> {
    if (this.ended || signal?.aborted) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const done = () => {
        signal?.removeEventListener('abort', done);
        // Gone from the list too: a reader that leaves a quiet process must not stay queued
        // until the process next writes (it may never), one closure per dropped client.
        const at = this.waiters.indexOf(done);
        if (at !== -1) this.waiters.splice(at, 1);
        resolve();
      };
      this.waiters.push(done);
      signal?.addEventListener('abort', done, { once: true });
    });
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }

  private evict(stream: StreamName): void {
    const list = this.held[stream];
    while (this.heldBytes[stream] > this.capBytes && list.length > 0) {
      const excess = this.heldBytes[stream] - this.capBytes;
      const head = list[0];
      if (head.data.length <= excess) {
        list.shift();
        this.heldBytes[stream] -= head.data.length;
        this.droppedBytes[stream] += head.data.length;
      } else {
        // Trim the head chunk so exactly `capBytes` stay counted. A view, not a copy: it keeps
        // the rest of one read's buffer (at most 64 KiB) alive until the chunk goes, where a copy
        // cost a memcpy of nearly every byte a process writes once its output passes the cap.
        list[0] = { ...head, data: head.data.subarray(excess) };
        this.heldBytes[stream] -= excess;
        this.droppedBytes[stream] += excess;
      }
    }
  }

  private tailFrom(list: OutputChunk[], fromSeq: number): OutputChunk[] {
    if (list.length === 0 || list[list.length - 1].seq < fromSeq) return [];
    if (list[0].seq >= fromSeq) return list.slice();
    // Binary search: followers call this on every wake-up, and the list can be long.
    let lo = 0;
    let hi = list.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (list[mid].seq < fromSeq) lo = mid + 1;
      else hi = mid;
    }
    return list.slice(lo);
  }
}
