// Readers of streamed response bodies for the tests: the provider test kits and the fault tests
// each read NDJSON lines, server-sent events or text lines as they arrive, with a deadline on
// every wait so that a stream that stops is a failure, not a hang.

/** A streamed body as text, chunk by chunk. A response without a body reads as ended at once. */
export class BodyText {
  private readonly reader: ReadableStreamDefaultReader<Uint8Array> | undefined;
  private readonly decoder = new TextDecoder();
  ended = false;

  constructor(readonly response: Response) {
    this.reader = response.body?.getReader();
  }

  /** The text of the next chunk, or null once the body has ended; throws after `timeoutMs`. */
  async read(timeoutMs = 10_000): Promise<string | null> {
    if (this.ended) return null;
    if (!this.reader) {
      this.ended = true;
      return null;
    }
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`nothing more came within ${timeoutMs} ms`)), timeoutMs);
    });
    try {
      const { done, value } = await Promise.race([this.reader.read(), timeout]);
      if (!done) return this.decoder.decode(value, { stream: true });
      this.ended = true;
      const rest = this.decoder.decode();
      return rest === '' ? null : rest;
    } finally {
      clearTimeout(timer);
    }
  }

  async cancel(): Promise<void> {
    await this.reader?.cancel().catch(() => undefined);
  }
}

/** A streamed body cut into frames: the text before each separator (`\n`, or `\n\n` for SSE). */
export class FrameReader {
  private readonly body: BodyText;
  private buffer = '';

  constructor(
    readonly response: Response,
    private readonly separator: string,
  ) {
    this.body = new BodyText(response);
  }

  get status(): number {
    return this.response.status;
  }

  /** The next frame, or null when the stream ended cleanly; throws when it ended inside a frame. */
  async next(timeoutMs = 10_000): Promise<string | null> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const at = this.buffer.indexOf(this.separator);
      if (at !== -1) {
        const frame = this.buffer.slice(0, at);
        this.buffer = this.buffer.slice(at + this.separator.length);
        return frame;
      }
      const text = await this.body.read(Math.max(0, deadline - Date.now()));
      if (text !== null) {
        this.buffer += text;
        continue;
      }
      if (this.buffer !== '') throw new Error(`the stream ended inside a frame: ${JSON.stringify(this.buffer)}`);
      return null;
    }
  }

  /** Frames up to one that satisfies `found` (included); throws if the stream ends first. */
  async until(found: (frame: string) => boolean, timeoutMs?: number): Promise<string[]> {
    const frames: string[] = [];
    for (;;) {
      const frame = await this.next(timeoutMs);
      if (frame === null) throw new Error(`the stream ended before the expected frame; got ${JSON.stringify(frames)}`);
      frames.push(frame);
      if (found(frame)) return frames;
    }
  }

  /** Every remaining frame up to the end of the response (which must come). */
  async rest(timeoutMs?: number): Promise<string[]> {
    const frames: string[] = [];
    for (let frame = await this.next(timeoutMs); frame !== null; frame = await this.next(timeoutMs)) frames.push(frame);
    return frames;
  }

  cancel(): Promise<void> {
    return this.body.cancel();
  }
}
