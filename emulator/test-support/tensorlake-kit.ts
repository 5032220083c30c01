// Helpers for this provider's tests: a real emulator over HTTP, plain fetch, and an SSE reader
// that hands over events one by one as they arrive, so a test can assert on a line while the
// process that wrote it still runs.

import { randomAlphanumeric } from '../core/ids.ts';
import { createEmulator, type Emulator, type EmulatorOptions } from '../index.ts';
import { HttpTestClient } from './http-test-client.ts';
import { FrameReader } from './stream-readers.ts';
import type { ProcessInfo } from '../providers/tensorlake/process-info.ts';

export interface TensorlakeTarget {
  emulator: Emulator;
  /** The runtime API base of a fresh sandbox per call. */
  sandbox(id?: string): SandboxClient;
  /** The lifecycle API base (`/v1/namespaces/...` below it). */
  api: string;
}

export async function startTensorlake(options: EmulatorOptions = {}): Promise<TensorlakeTarget> {
  const emulator = await createEmulator({ port: 0, providers: ['tensorlake'], ...options });
  const urls = await emulator.listen();
  return {
    emulator,
    sandbox: (id = `test-${randomAlphanumeric(8)}`) => new SandboxClient(urls.tensorlake.sandbox(id)),
    api: urls.tensorlake.api,
  };
}

export type { ProcessInfo };

/** Plain fetch against one sandbox's runtime API. */
export class SandboxClient extends HttpTestClient {
  async start(body: Record<string, unknown>): Promise<ProcessInfo> {
    const response = await this.postJson('/api/v1/processes', body);
    if (response.status !== 201) throw new Error(`start answered ${response.status}: ${await response.text()}`);
    return (await response.json()) as ProcessInfo;
  }

  /** A command line through `sh -c`, for tests that need redirections and sequencing. */
  sh(script: string, extra: Record<string, unknown> = {}): Promise<ProcessInfo> {
    return this.start({ command: 'sh', args: ['-c', script], ...extra });
  }

  async get(ref: number | string): Promise<ProcessInfo> {
    const response = await this.fetch(`/api/v1/processes/${encodeURIComponent(String(ref))}`);
    if (response.status !== 200) throw new Error(`get answered ${response.status}: ${await response.text()}`);
    return (await response.json()) as ProcessInfo;
  }

  async lines(ref: number | string, which: 'stdout' | 'stderr' | 'output'): Promise<string[]> {
    const response = await this.fetch(`/api/v1/processes/${encodeURIComponent(String(ref))}/${which}`);
    if (response.status !== 200) throw new Error(`${which} answered ${response.status}: ${await response.text()}`);
    const body = (await response.json()) as { lines: string[]; line_count: number };
    if (body.line_count !== body.lines.length) throw new Error(`line_count ${body.line_count} != ${body.lines.length} lines`);
    return body.lines;
  }

  async follow(ref: number | string, which: 'stdout' | 'stderr' | 'output' = 'output'): Promise<SseReader> {
    const response = await this.fetch(`/api/v1/processes/${encodeURIComponent(String(ref))}/${which}/follow`, { headers: { accept: 'text/event-stream' } });
    return new SseReader(response);
  }

  /**
   * Waits for the process to end the way a client can see it: its follow stream ends once the
   * process has exited and its output is drained. Then answers its final info.
   */
  async waitForEnd(ref: number | string): Promise<ProcessInfo> {
    const reader = await this.follow(ref);
    await reader.rest();
    return this.get(ref);
  }
}

export interface SseEvent {
  event?: string;
  data?: string;
  /** JSON of `data`, when it parses. */
  json?: any;
  comment?: string;
}

/** Reads a text/event-stream response event by event; `next()` answers null once it has ended. */
export class SseReader {
  private readonly frames: FrameReader;

  constructor(readonly response: Response) {
    this.frames = new FrameReader(response, '\n\n');
  }

  get status(): number {
    return this.response.status;
  }

  get contentType(): string | null {
    return this.response.headers.get('content-type');
  }

  /** The next event (comments included), or null when the response has ended. */
  async next(timeoutMs?: number): Promise<SseEvent | null> {
    const block = await this.frames.next(timeoutMs);
    return block === null ? null : parseEvent(block);
  }

  /** The next event that is not a comment. */
  async nextEvent(timeoutMs?: number): Promise<SseEvent | null> {
    for (;;) {
      const event = await this.next(timeoutMs);
      if (!event || event.comment === undefined) return event;
    }
  }

  /** Every remaining event up to the end of the response (which must come). */
  async rest(timeoutMs?: number): Promise<SseEvent[]> {
    const out: SseEvent[] = [];
    for (;;) {
      const event = await this.nextEvent(timeoutMs);
      if (!event) return out;
      out.push(event);
    }
  }

  cancel(): Promise<void> {
    return this.frames.cancel();
  }
}

function parseEvent(block: string): SseEvent {
  const event: SseEvent = {};
  for (const line of block.split('\n')) {
    if (line.startsWith(':')) event.comment = line.slice(1).trim();
    else if (line.startsWith('event:')) event.event = line.slice(6).trim();
    else if (line.startsWith('data:')) event.data = (event.data === undefined ? '' : event.data + '\n') + line.slice(5).trimStart();
  }
  if (event.data !== undefined) {
    try {
      event.json = JSON.parse(event.data);
    } catch {
      // Not JSON: left as text for the test to judge.
    }
  }
  return event;
}

export { alive, eventually } from './process-alive.ts';
