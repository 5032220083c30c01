// Helpers for the Blaxel tests: a real emulator over HTTP, plain fetch against one sandbox, and
// a stream reader that hands over text as it arrives, so a test can assert on a line while the
// process that wrote it still runs.

import { readFileSync } from 'node:fs';
import { createEmulator, type Emulator, type EmulatorOptions } from '../../index.ts';
import type { ProcessResponse } from './process-view.ts';
import { HttpTestClient } from '../../test-support/http-test-client.ts';

export interface BlaxelTarget {
  emulator: Emulator;
  control: string;
  sandbox(name: string): SandboxClient;
}

export async function startBlaxel(options: EmulatorOptions = {}): Promise<BlaxelTarget> {
  const emulator = await createEmulator({ port: 0, providers: ['blaxel'], ...options });
  const urls = await emulator.listen();
  return { emulator, control: urls.blaxel.control, sandbox: (name) => new SandboxClient(urls.blaxel.sandbox(name)) };
}

/** Plain fetch against one sandbox's process API. */
export class SandboxClient extends HttpTestClient {
  post(body: unknown, headers: Record<string, string> = {}): Promise<Response> {
    return this.fetch('/process', {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });
  }

  /** POST /process expecting 200 JSON. */
  async exec(body: Record<string, unknown>): Promise<ProcessResponse> {
    const response = await this.post(body);
    if (response.status !== 200) throw new Error(`exec answered ${response.status}: ${await response.text()}`);
    return (await response.json()) as ProcessResponse;
  }

  async get(id: string): Promise<ProcessResponse> {
    const response = await this.fetch(`/process/${encodeURIComponent(id)}`);
    if (response.status !== 200) throw new Error(`get answered ${response.status}: ${await response.text()}`);
    return (await response.json()) as ProcessResponse;
  }

  /** Follows the log stream until `text` has appeared, then lets go of it. */
  async untilOutput(id: string, text: string): Promise<void> {
    const response = await this.fetch(`/process/${encodeURIComponent(id)}/logs/stream`);
    if (response.status !== 200) throw new Error(`logs/stream answered ${response.status}: ${await response.text()}`);
    const stream = new TextStream(response);
    try {
      await stream.until((t) => t.includes(text));
    } finally {
      await stream.cancel();
    }
  }

  /** Polls GET /process/{id} until the status leaves `running`, within a bounded deadline. */
  async waitEnded(id: string, deadlineMs = 10_000): Promise<ProcessResponse> {
    const until = Date.now() + deadlineMs;
    for (;;) {
      const process = await this.get(id);
      if (process.status !== 'running' && process.completedAt !== '') return process;
      if (Date.now() > until) throw new Error(`process ${id} still running after ${deadlineMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  }
}

/** Reads a streamed body as text, chunk by chunk, as it arrives. */
export class TextStream {
  private readonly reader: ReadableStreamDefaultReader<Uint8Array>;
  private readonly decoder = new TextDecoder();
  text = '';
  ended = false;

  constructor(response: Response) {
    if (!response.body) throw new Error('the response has no body');
    this.reader = response.body.getReader();
  }

  /** Reads until the text so far satisfies `done`; throws if the stream ends first. */
  async until(done: (text: string) => boolean): Promise<string> {
    while (!done(this.text)) {
      if (this.ended) throw new Error(`the stream ended before the expected text; got: ${JSON.stringify(this.text)}`);
      await this.readOnce();
    }
    return this.text;
  }

  /** Reads to the end of the stream. */
  async rest(): Promise<string> {
    while (!this.ended) await this.readOnce();
    return this.text;
  }

  cancel(): Promise<void> {
    return this.reader.cancel();
  }

  private async readOnce(): Promise<void> {
    const { done, value } = await this.reader.read();
    if (done) {
      this.ended = true;
      this.text += this.decoder.decode();
    } else {
      this.text += this.decoder.decode(value, { stream: true });
    }
  }
}

/** True when no process has this pid any more (or only its zombie is left). */
export function pidGone(pid: number | string): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z');
  } catch {
    return true;
  }
}

/** Waits (bounded) for a condition that only polling can observe, such as a pid disappearing. */
export async function eventually(check: () => boolean, deadlineMs = 5_000): Promise<void> {
  const until = Date.now() + deadlineMs;
  while (!check()) {
    if (Date.now() > until) throw new Error(`condition still false after ${deadlineMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
