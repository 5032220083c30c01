import { FrameSplitter, type Framing, type FrameUnit } from '../../emulator/openapi/frame-splitter.ts';

/** One frame of a streamed answer, decoded by its media type. */
export interface StreamFrame {
  /** The SSE event name, when the stream is SSE and the event has one. */
  event?: string;
  /** The decoded payload: the JSON of an NDJSON line or an SSE data field, or a text line. */
  payload: unknown;
  /** The frame's raw text. */
  raw: string;
  /** The flags byte of a Connect envelope (0x02: the end of the stream), when the stream is Connect's. */
  flags?: number;
}

export class StreamTimeoutError extends Error {
  constructor(readonly waitedMs: number, what: string) {
    super(`the stream sent no ${what} within ${waitedMs} ms`);
    this.name = 'StreamTimeoutError';
  }
}

/**
 * A contract frame from the splitter's unit: an NDJSON line or SSE data that is not JSON is kept
 * as InvalidJson, so the check can say what arrived.
 */
export function toStreamFrame(unit: FrameUnit): StreamFrame {
  const payload = unit.unreadable !== undefined ? new InvalidJson(unit.raw, unit.unreadable) : unit.payload;
  return { payload, raw: unit.raw, ...(unit.event !== undefined && { event: unit.event }), ...(unit.flags !== undefined && { flags: unit.flags }) };
}

/**
 * Reads a streamed response frame by frame, with a deadline on every wait, so a target whose
 * stream never ends is reported instead of hanging the suite.
 */
export class StreamReader {
  private readonly reader: ReadableStreamDefaultReader<Uint8Array>;
  private readonly parser: FrameSplitter;
  private queue: StreamFrame[] = [];
  private ended = false;
  private pending: Promise<ReadableStreamReadResult<Uint8Array>> | undefined;

  constructor(
    body: ReadableStream<Uint8Array>,
    framing: Framing,
    private readonly onFrame: (frame: StreamFrame) => void,
  ) {
    this.reader = body.getReader();
    this.parser = new FrameSplitter(framing);
  }

  get done(): boolean {
    return this.ended && this.queue.length === 0;
  }

  /** The next frame, or undefined when the stream has ended. */
  async next(timeoutMs: number): Promise<StreamFrame | undefined> {
    const deadline = Date.now() + timeoutMs;
    while (this.queue.length === 0 && !this.ended) {
      const left = deadline - Date.now();
      if (left <= 0) throw new StreamTimeoutError(timeoutMs, 'frame');
      await this.fill(left);
    }
    return this.queue.shift();
  }

  /** Reads until a frame satisfies `wanted`; returns every frame read, that one last. */
  async until(wanted: (frame: StreamFrame) => boolean, timeoutMs: number): Promise<StreamFrame[]> {
    const deadline = Date.now() + timeoutMs;
    const seen: StreamFrame[] = [];
    for (;;) {
      const frame = await this.next(Math.max(1, deadline - Date.now())).catch((error) => {
        if (error instanceof StreamTimeoutError) throw new StreamTimeoutError(timeoutMs, 'matching frame');
        throw error;
      });
      if (!frame) throw new Error(`the stream ended before the frame the check waited for (${seen.length} frames read)`);
      seen.push(frame);
      if (wanted(frame)) return seen;
    }
  }

  /** Reads to the end of the stream. */
  async rest(timeoutMs: number): Promise<StreamFrame[]> {
    const deadline = Date.now() + timeoutMs;
    const seen: StreamFrame[] = [];
    for (;;) {
      const frame = await this.next(Math.max(1, deadline - Date.now())).catch((error) => {
        if (error instanceof StreamTimeoutError) throw new StreamTimeoutError(timeoutMs, 'end');
        throw error;
      });
      if (!frame) return seen;
      seen.push(frame);
    }
  }

  async cancel(): Promise<void> {
    this.ended = true;
    // Not awaited: through msw's fetch interceptor a cancel can stay pending for good, and the
    // suite only needs the connection let go, not confirmed.
    void this.reader.cancel().catch(() => undefined);
  }

  private async fill(timeoutMs: number): Promise<void> {
    this.pending ??= this.reader.read();
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), timeoutMs);
    });
    const result = await Promise.race([this.pending, timeout]).finally(() => clearTimeout(timer));
    if (result === 'timeout') return;
    this.pending = undefined;
    const units = result.done ? this.parser.end() : this.parser.push(result.value);
    if (result.done) this.ended = true;
    for (const unit of units) {
      const frame = toStreamFrame(unit);
      this.queue.push(frame);
      this.onFrame(frame);
    }
  }
}

/** A frame whose JSON did not parse: kept so the check can say what arrived. */
export class InvalidJson {
  constructor(
    readonly text: string,
    /** What was wrong with it, as the splitter says. */
    readonly reason?: string,
  ) {}
}

export { framingOf, type Framing } from '../../emulator/openapi/frame-splitter.ts';
