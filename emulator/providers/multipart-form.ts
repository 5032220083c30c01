/**
 * A streaming reader of `multipart/form-data` bodies (RFC 7578): parts one after another, each
 * part's bytes as they arrive, never the whole body in memory. Enough for file uploads; it reads
 * the headers a form sends (Content-Disposition name and filename, Content-Type) and no more.
 */

export class MultipartError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MultipartError';
  }
}

export interface FormPart {
  /** The field name of Content-Disposition. */
  name: string;
  /** The filename of Content-Disposition; undefined for a plain field. */
  filename?: string;
  contentType?: string;
  /**
   * The part's bytes. Read it to its end, or not at all: the next part is found either way (what
   * was left unread is skipped).
   */
  body: AsyncGenerator<Buffer>;
}

/** Headers of one part, at most this long: a form's are a few hundred bytes. */
const MAX_HEADER_BYTES = 16 * 1024;

/** The boundary of a `multipart/form-data; boundary=...` Content-Type; undefined when absent. */
export function formBoundary(contentType: string | undefined): string | undefined {
  if (!contentType || !/^multipart\/form-data\b/i.test(contentType.trim())) return undefined;
  const match = /;\s*boundary=(?:"([^"]+)"|([^;\s]+))/i.exec(contentType);
  return match ? (match[1] ?? match[2]) : undefined;
}

/** The parts of a form body, in order. Throws MultipartError on a body that is not one. */
export async function* formParts(source: AsyncIterable<Uint8Array>, boundary: string): AsyncGenerator<FormPart> {
  const reader = new ByteReader(source);
  const dash = Buffer.from(`--${boundary}`);
  const delimiter = Buffer.from(`\r\n--${boundary}`);
  // The preamble, up to the first boundary (which may open the body without a CRLF before it).
  await reader.skipUntil(dash);
  for (;;) {
    const after = await reader.take(2);
    if (after === '--') return;
    if (after !== '\r\n') throw new MultipartError('a boundary is not followed by a line end');
    const head = await reader.collectUntil(Buffer.from('\r\n\r\n'), MAX_HEADER_BYTES);
    const part = parseHeaders(head);
    const state = { done: false };
    const body = reader.until(delimiter, state);
    yield { ...part, body };
    // What the consumer left unread is skipped, up to the next boundary.
    if (!state.done) for await (const _ of reader.until(delimiter, state));
  }
}

function parseHeaders(head: string): Omit<FormPart, 'body'> {
  let name: string | undefined;
  let filename: string | undefined;
  let contentType: string | undefined;
  for (const line of head.split('\r\n')) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const key = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    if (key === 'content-type') contentType = value;
    if (key !== 'content-disposition') continue;
    name = param(value, 'name');
    filename = param(value, 'filename');
  }
  if (name === undefined) throw new MultipartError('a part has no Content-Disposition name');
  return { name, filename, contentType };
}

function param(disposition: string, key: string): string | undefined {
  const match = new RegExp(`;\\s*${key}=(?:"((?:[^"\\\\]|\\\\.)*)"|([^;\\s]*))`, 'i').exec(disposition);
  if (!match) return undefined;
  return match[1] !== undefined ? match[1].replace(/\\(.)/g, '$1') : match[2];
}

/** A cursor over a byte stream, with searches that hand data on as soon as it cannot be a match. */
class ByteReader {
  private buffer = Buffer.alloc(0);
  private readonly iterator: AsyncIterator<Uint8Array>;
  private ended = false;

  constructor(source: AsyncIterable<Uint8Array>) {
    this.iterator = source[Symbol.asyncIterator]();
  }

  private async fill(): Promise<boolean> {
    if (this.ended) return false;
    const next = await this.iterator.next();
    if (next.done) {
      this.ended = true;
      return false;
    }
    this.buffer = this.buffer.length === 0 ? Buffer.from(next.value) : Buffer.concat([this.buffer, next.value]);
    return true;
  }

  async take(n: number): Promise<string> {
    while (this.buffer.length < n) if (!(await this.fill())) throw new MultipartError('the body ends inside a part');
    const out = this.buffer.subarray(0, n).toString('latin1');
    this.buffer = this.buffer.subarray(n);
    return out;
  }

  async skipUntil(needle: Buffer): Promise<void> {
    for await (const _ of this.until(needle, { done: false }));
  }

  async collectUntil(needle: Buffer, max: number): Promise<string> {
    const pieces: Buffer[] = [];
    let size = 0;
    for await (const piece of this.until(needle, { done: false })) {
      size += piece.length;
      if (size > max) throw new MultipartError(`part headers longer than ${max} bytes`);
      pieces.push(piece);
    }
    return Buffer.concat(pieces).toString('utf8');
  }

  /**
   * The bytes before `needle`, which is consumed (and `state.done` set) before the last piece
   * is handed on: a consumer that stops at any point leaves the cursor where it stopped.
   */
  async *until(needle: Buffer, state: { done: boolean }): AsyncGenerator<Buffer> {
    for (;;) {
      const at = this.buffer.indexOf(needle);
      if (at >= 0) {
        const piece = this.buffer.subarray(0, at);
        this.buffer = this.buffer.subarray(at + needle.length);
        state.done = true;
        if (piece.length > 0) yield piece;
        return;
      }
      // Everything but a possible start of the needle at the end can go on.
      const keep = Math.min(this.buffer.length, needle.length - 1);
      if (this.buffer.length > keep) {
        const piece = this.buffer.subarray(0, this.buffer.length - keep);
        this.buffer = this.buffer.subarray(this.buffer.length - keep);
        yield piece;
      }
      if (!(await this.fill())) throw new MultipartError('the body ends before the closing boundary');
    }
  }
}
