import { Agent, request as httpRequest, type IncomingMessage } from 'node:http';

// A thin node:http client: the bench measures the servers, so the client must cost as little
// and as evenly as possible (fetch/undici would add its own, larger, overhead to every side).

export interface Reply {
  status: number;
  body: Buffer;
}

export interface CallOptions {
  method?: string;
  headers?: Record<string, string>;
  body?: string;
  agent?: Agent | false;
  timeoutMs?: number;
}

/** One request; resolves with the whole body. */
export function call(url: string, options: CallOptions = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { ...options.headers };
    if (options.body !== undefined) {
      headers['content-type'] ??= 'application/json';
      headers['content-length'] = String(Buffer.byteLength(options.body));
    }
    const req = httpRequest(url, { method: options.method ?? 'GET', headers, agent: options.agent }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.once('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks) }));
      res.once('error', reject);
    });
    req.setTimeout(options.timeoutMs ?? 60_000, () => req.destroy(new Error(`no answer from ${url} within ${options.timeoutMs ?? 60_000} ms`)));
    req.once('error', reject);
    req.end(options.body);
  });
}

export function postJson(url: string, value: unknown, options: CallOptions = {}): Promise<Reply> {
  return call(url, { ...options, method: 'POST', body: JSON.stringify(value) });
}

export function jsonOf<T>(reply: Reply, what: string): T {
  if (reply.status < 200 || reply.status > 299) {
    throw new Error(`Failed to ${what}: HTTP ${reply.status} ${reply.body.toString('utf8').slice(0, 300)}`);
  }
  return JSON.parse(reply.body.toString('utf8')) as T;
}

/**
 * Opens a streamed GET and hands every body chunk to `onChunk` as it arrives; resolves at the
 * end of the response, or after `limitMs` with `cut: true` (the connection is then closed, which
 * the server sees as a client going away). A fresh connection: a long stream must not hold a
 * pooled socket.
 */
export function streamGet(url: string, onChunk: (chunk: Buffer) => void, limitMs: number): Promise<{ status: number; cut: boolean }> {
  return new Promise((resolve, reject) => {
    let status = 0;
    const timer = setTimeout(() => {
      req.destroy();
      resolve({ status, cut: true });
    }, limitMs);
    const req = httpRequest(url, { method: 'GET', agent: false }, (res: IncomingMessage) => {
      status = res.statusCode ?? 0;
      res.on('data', onChunk);
      res.once('end', () => {
        clearTimeout(timer);
        resolve({ status, cut: false });
      });
      res.once('error', () => undefined);
    });
    req.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    req.end();
  });
}

/** Counts the occurrences of a marker across chunk borders, without copying the chunks. */
export class MarkerCounter {
  count = 0;
  bytes = 0;
  private tail: Buffer = Buffer.alloc(0);
  private readonly marker: Buffer;

  constructor(marker: string) {
    this.marker = Buffer.from(marker);
  }

  push(chunk: Buffer): void {
    this.bytes += chunk.length;
    const m = this.marker.length;
    if (this.tail.length > 0) {
      // A marker that straddles the border starts in the tail (at most m - 1 bytes).
      const joint = Buffer.concat([this.tail, chunk.subarray(0, m - 1)]);
      for (let at = joint.indexOf(this.marker); at !== -1 && at < this.tail.length; at = joint.indexOf(this.marker, at + 1)) this.count++;
    }
    for (let at = chunk.indexOf(this.marker); at !== -1; at = chunk.indexOf(this.marker, at + m)) this.count++;
    if (m > 1) {
      const source = chunk.length >= m - 1 ? chunk : Buffer.concat([this.tail, chunk]);
      this.tail = Buffer.from(source.subarray(Math.max(0, source.length - (m - 1))));
    }
  }
}
