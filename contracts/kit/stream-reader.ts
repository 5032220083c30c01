/** One frame of a streamed answer, decoded by its media type. */
export interface StreamFrame {
  /** The SSE event name, when the stream is SSE and the event has one. */
  event?: string;
  /** The decoded payload: the JSON of an NDJSON line or an SSE data field, or a text line. */
  payload: unknown;
  /** The frame's raw text. */
  raw: string;
}

export class StreamTimeoutError extends Error {
  constructor(readonly waitedMs: number, what: string) {
    super(`the stream sent no ${what} within ${waitedMs} ms`);
    this.name = 'StreamTimeoutError';
  }
}

export type Framing = 'ndjson' | 'sse' | 'lines';

export function framingOf(mediaType: string): Framing | undefined {
  const type = mediaType.split(';')[0].trim().toLowerCase();
  if (type === 'application/x-ndjson') return 'ndjson';
  if (type === 'text/event-stream') return 'sse';
  if (type === 'text/plain') return 'lines';
  return undefined;
}

/** Cuts text into frames by the stream's framing: NDJSON lines, SSE events or text lines. */
export class FrameParser {
  private buffer = '';

  constructor(private readonly framing: Framing) {}

  push(text: string): StreamFrame[] {
    this.buffer += text;
    return this.split(false);
  }

  end(): StreamFrame[] {
    return this.split(true);
  }

  private split(final: boolean): StreamFrame[] {
    const out: StreamFrame[] = [];
    if (this.framing === 'sse') {
      let at: number;
      while ((at = this.buffer.search(/\r?\n\r?\n/)) !== -1) {
        const block = this.buffer.slice(0, at);
        this.buffer = this.buffer.slice(at).replace(/^\r?\n\r?\n/, '');
        pushDefined(out, sseBlock(block));
      }
      if (final && this.buffer.trim()) pushDefined(out, sseBlock(this.buffer));
      if (final) this.buffer = '';
      return out;
    }
    let nl: number;
    while ((nl = this.buffer.indexOf('\n')) !== -1) {
      pushDefined(out, this.line(this.buffer.slice(0, nl)));
      this.buffer = this.buffer.slice(nl + 1);
    }
    if (final && this.buffer) {
      pushDefined(out, this.line(this.buffer));
      this.buffer = '';
    }
    return out;
  }

  private line(text: string): StreamFrame | undefined {
    if (this.framing === 'lines') return { payload: text, raw: text };
    if (!text.trim()) return undefined;
    return { payload: parseJson(text), raw: text };
  }
}

function sseBlock(block: string): StreamFrame | undefined {
  let event: string | undefined;
  const data: string[] = [];
  for (const line of block.split(/\r?\n/)) {
    if (line.startsWith(':') || line === '') continue; // comments keep connections alive
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    const value = colon === -1 ? '' : line.slice(colon + 1).replace(/^ /, '');
    if (field === 'event') event = value;
    if (field === 'data') data.push(value);
  }
  if (data.length === 0 && event === undefined) return undefined;
  return { event, payload: parseJson(data.join('\n')), raw: block };
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return new InvalidJson(text);
  }
}

function pushDefined<T>(list: T[], item: T | undefined): void {
  if (item !== undefined) list.push(item);
}

/**
 * Reads a streamed response frame by frame, with a deadline on every wait, so a target whose
 * stream never ends is reported instead of hanging the suite.
 */
export class StreamReader {
  private readonly reader: ReadableStreamDefaultReader<Uint8Array>;
  private readonly decoder = new TextDecoder();
  private readonly parser: FrameParser;
  private queue: StreamFrame[] = [];
  private ended = false;
  private pending: Promise<ReadableStreamReadResult<Uint8Array>> | undefined;

  constructor(
    body: ReadableStream<Uint8Array>,
    framing: Framing,
    private readonly onFrame: (frame: StreamFrame) => void,
  ) {
    this.reader = body.getReader();
    this.parser = new FrameParser(framing);
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
    const frames = result.done
      ? this.parser.push(this.decoder.decode()).concat(this.parser.end())
      : this.parser.push(this.decoder.decode(result.value, { stream: true }));
    if (result.done) this.ended = true;
    for (const frame of frames) {
      this.queue.push(frame);
      this.onFrame(frame);
    }
  }
}

/** A frame whose JSON did not parse: kept so the check can say what arrived. */
export class InvalidJson {
  constructor(readonly text: string) {}
}
