// Helpers for the AgentBox tests: a real emulator over HTTP, plain fetch, and an NDJSON reader
// that hands over lines one by one as they arrive, so a test can assert on a log line while the
// container that wrote it still runs.

import { createEmulator, type Emulator, type EmulatorOptions } from '../index.ts';
import { HttpTestClient } from './http-test-client.ts';
import { FrameReader } from './stream-readers.ts';

export interface AgentBoxTarget {
  emulator: Emulator;
  /** The endpoint (`AGENTBOX_ENDPOINT`); the API is below `/v1`. */
  endpoint: string;
  client: AgentBoxClient;
}

export async function startAgentBox(options: EmulatorOptions = {}): Promise<AgentBoxTarget> {
  const emulator = await createEmulator({ port: 0, providers: ['agentbox'], ...options });
  const urls = await emulator.listen();
  return { emulator, endpoint: urls.agentbox.endpoint, client: new AgentBoxClient(urls.agentbox.endpoint) };
}

export interface SandboxJson {
  sandboxId: string;
  namespace: string;
  poolName: string;
  podName: string;
  status: string;
  claimedAt: string;
  startedAt?: string;
  terminatedAt?: string;
  exitCode?: number;
  failureReason?: string;
  [key: string]: unknown;
}

export interface LogsJson {
  sandboxId: string;
  namespace: string;
  podName?: string;
  capturedAt?: string;
  entries: Array<{ timestamp?: string; container: string; log: string }>;
  truncated: boolean;
  totalBytes?: number;
  source: string;
  containers?: string[];
}

/** Plain fetch against the AgentBox native API. */
export class AgentBoxClient extends HttpTestClient {
  async create(poolName = 'default', extra: Record<string, unknown> = {}): Promise<SandboxJson> {
    const response = await this.postJson('/v1/sandboxes', { poolName, ...extra });
    if (response.status !== 201) throw new Error(`create answered ${response.status}: ${await response.text()}`);
    return ((await response.json()) as { sandbox: SandboxJson }).sandbox;
  }

  async get(id: string): Promise<SandboxJson> {
    const response = await this.fetch(`/v1/sandboxes/${encodeURIComponent(id)}`);
    if (response.status !== 200) throw new Error(`get answered ${response.status}: ${await response.text()}`);
    return ((await response.json()) as { sandbox: SandboxJson }).sandbox;
  }

  async exec(id: string, command: string, timeoutSeconds?: number): Promise<{ exitCode: number; stdout: string; stderr: string }> {
    const response = await this.postJson(`/v1/sandboxes/${encodeURIComponent(id)}/exec`, timeoutSeconds === undefined ? { command } : { command, timeoutSeconds });
    if (response.status !== 200) throw new Error(`exec answered ${response.status}: ${await response.text()}`);
    return (await response.json()) as { exitCode: number; stdout: string; stderr: string };
  }

  async logs(id: string, query: Record<string, string> = {}): Promise<LogsJson> {
    const response = await this.fetch(`/v1/sandboxes/${encodeURIComponent(id)}/logs?${new URLSearchParams(query)}`);
    if (response.status !== 200) throw new Error(`logs answered ${response.status}: ${await response.text()}`);
    return (await response.json()) as LogsJson;
  }

  async stream(id: string, query: Record<string, string> = {}): Promise<NdjsonReader> {
    return new NdjsonReader(await this.fetch(`/v1/sandboxes/${encodeURIComponent(id)}/logs/stream?${new URLSearchParams(query)}`));
  }

  /**
   * Waits until the sandbox's own container has ended, the way a client can see it: its log
   * stream ends (with the meta line) once the container has exited and its output is drained.
   */
  async waitForEnd(id: string): Promise<SandboxJson> {
    const reader = await this.stream(id);
    await reader.rest();
    return this.get(id);
  }

  /**
   * Polls GetSandbox until `ok` holds, within a bounded deadline. Only for what the API gives
   * no event for (a released sandbox's processes being gone).
   */
  async until(id: string, ok: (s: SandboxJson) => boolean, timeoutMs = 10_000): Promise<SandboxJson> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const sandbox = await this.get(id);
      if (ok(sandbox)) return sandbox;
      if (Date.now() > deadline) throw new Error(`sandbox ${id} did not get there within ${timeoutMs} ms: ${JSON.stringify(sandbox)}`);
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  }
}

/** Reads an NDJSON response line by line; `next()` answers null once it has ended. */
export class NdjsonReader {
  private readonly frames: FrameReader;

  constructor(readonly response: Response) {
    this.frames = new FrameReader(response, '\n');
  }

  get status(): number {
    return this.response.status;
  }

  async next(timeoutMs?: number): Promise<any | null> {
    const line = await this.frames.next(timeoutMs);
    return line === null ? null : JSON.parse(line);
  }

  /** Every remaining line up to the end of the response (which must come). */
  async rest(timeoutMs?: number): Promise<any[]> {
    return (await this.frames.rest(timeoutMs)).map((line) => JSON.parse(line));
  }

  cancel(): Promise<void> {
    return this.frames.cancel();
  }
}

export { alive } from './process-alive.ts';

/** `name=123` lines a container printed, as numbers by name. */
export function printedPids(lines: string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const line of lines) {
    const m = /^(\w+)=(\d+)$/.exec(line);
    if (m) out[m[1]] = Number(m[2]);
  }
  return out;
}
