// Helpers for the Blaxel tests: a real emulator over HTTP, plain fetch against one sandbox, and
// a stream reader that hands over text as it arrives, so a test can assert on a line while the
// process that wrote it still runs.

import { createEmulator, type Emulator, type EmulatorOptions } from '../index.ts';
import type { ProcessResponse } from '../providers/blaxel/process-view.ts';
import { HttpTestClient } from './http-test-client.ts';
import { alive, eventually } from './process-alive.ts';
import { BodyText } from './stream-readers.ts';

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
  private readonly body: BodyText;
  text = '';

  constructor(response: Response) {
    if (!response.body) throw new Error('the response has no body');
    this.body = new BodyText(response);
  }

  get ended(): boolean {
    return this.body.ended;
  }

  /** Reads until the text so far satisfies `done`; throws if the stream ends first. */
  async until(done: (text: string) => boolean): Promise<string> {
    while (!done(this.text)) {
      const chunk = await this.body.read();
      if (chunk === null) throw new Error(`the stream ended before the expected text; got: ${JSON.stringify(this.text)}`);
      this.text += chunk;
    }
    return this.text;
  }

  /** Reads to the end of the stream. */
  async rest(): Promise<string> {
    for (let chunk = await this.body.read(); chunk !== null; chunk = await this.body.read()) this.text += chunk;
    return this.text;
  }

  cancel(): Promise<void> {
    return this.body.cancel();
  }
}

/** True when no process has this pid any more (or only its zombie is left). */
export function pidGone(pid: number | string): boolean {
  return !alive(Number(pid));
}

export { eventually };
