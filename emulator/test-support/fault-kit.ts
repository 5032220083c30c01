// Helpers for the fault tests: the emulator over HTTP or through msw behind one interface, plain
// fetch clients for the two streaming providers, and a reader that tells a stream that ended
// from a stream that broke.

import type { EmulatorApp } from '../app.ts';
import { createEmulator } from '../index.ts';
import type { EmuResponse } from '../kernel/exchange.ts';
import type { StreamItem } from '../kernel/frames.ts';
import { FrameReader } from './stream-readers.ts';
import { setupEmulator } from '../transports/msw/setup-emulator.ts';
import type { FaultController } from '../faults/fault-injector.ts';

export interface FaultTransport {
  name: string;
  start(): Promise<FaultTarget>;
}

export interface FaultTarget {
  app: EmulatorApp;
  faults: FaultController;
  /** Base URL of a Blaxel sandbox's process API. */
  blaxel(name: string): string;
  /** Base URL of a Tensorlake sandbox's runtime API. */
  tensorlake(id: string): string;
  close(): Promise<void>;
}

export const overHttp: FaultTransport = {
  name: 'over HTTP',
  async start() {
    const emulator = await createEmulator({ port: 0, providers: ['blaxel', 'tensorlake'] });
    const urls = await emulator.listen();
    return {
      app: emulator.app,
      faults: emulator.faults,
      blaxel: (name) => urls.blaxel.sandbox(name),
      tensorlake: (id) => urls.tensorlake.sandbox(id),
      close: () => emulator.close(),
    };
  },
};

export const throughMsw: FaultTransport = {
  name: 'through msw',
  async start() {
    const emulator = setupEmulator({ providers: ['blaxel', 'tensorlake'], onUnhandledRequest: 'error' });
    await emulator.start();
    return {
      app: emulator.app,
      faults: emulator.faults,
      blaxel: (name) => emulator.urls.blaxel.sandbox(name),
      tensorlake: (id) => emulator.urls.tensorlake.sandbox(id),
      close: () => emulator.close(),
    };
  },
};

/** Blaxel's process API, as far as the fault tests need it. */
export class BlaxelBox {
  constructor(readonly base: string) {}

  async exec(body: Record<string, unknown>): Promise<{ pid: string; name: string; status: string }> {
    const response = await fetch(`${this.base}/process`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    if (response.status !== 200) throw new Error(`exec answered ${response.status}: ${await response.text()}`);
    return (await response.json()) as { pid: string; name: string; status: string };
  }

  get(id: string): Promise<Response> {
    return fetch(`${this.base}/process/${encodeURIComponent(id)}`);
  }

  async info(id: string): Promise<Record<string, unknown>> {
    const response = await this.get(id);
    if (response.status !== 200) throw new Error(`get answered ${response.status}: ${await response.text()}`);
    return (await response.json()) as Record<string, unknown>;
  }

  async logsStream(id: string): Promise<FrameReader> {
    const response = await fetch(`${this.base}/process/${encodeURIComponent(id)}/logs/stream`);
    if (response.status !== 200) throw new Error(`logs/stream answered ${response.status}: ${await response.text()}`);
    return new FrameReader(response, '\n');
  }
}

/** Tensorlake's runtime API, as far as the fault tests need it. */
export class TensorlakeBox {
  constructor(readonly base: string) {}

  async sh(script: string): Promise<{ pid: number }> {
    const response = await fetch(`${this.base}/api/v1/processes`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ command: 'sh', args: ['-c', script] }),
    });
    if (response.status !== 201) throw new Error(`start answered ${response.status}: ${await response.text()}`);
    return (await response.json()) as { pid: number };
  }

  async info(pid: number): Promise<Record<string, unknown>> {
    const response = await fetch(`${this.base}/api/v1/processes/${pid}`);
    if (response.status !== 200) throw new Error(`get answered ${response.status}: ${await response.text()}`);
    return (await response.json()) as Record<string, unknown>;
  }

  async lines(pid: number): Promise<string[]> {
    const response = await fetch(`${this.base}/api/v1/processes/${pid}/stdout`);
    return ((await response.json()) as { lines: string[] }).lines;
  }

  async follow(pid: number): Promise<FrameReader> {
    const response = await fetch(`${this.base}/api/v1/processes/${pid}/output/follow`, { headers: { accept: 'text/event-stream' } });
    if (response.status !== 200) throw new Error(`follow answered ${response.status}: ${await response.text()}`);
    return new FrameReader(response, '\n\n');
  }
}

/** The JSON data of an SSE event block, and its event name. */
export function sseEvent(block: string): { event?: string; data?: any } {
  const event = /^event: (.*)$/m.exec(block)?.[1];
  const data = /^data: (.*)$/m.exec(block)?.[1];
  return { event, data: data === undefined ? undefined : JSON.parse(data) };
}

export { FrameReader };

/** Every remaining frame, and the error the stream broke with (undefined after a clean end). */
export async function framesAndError(reader: FrameReader): Promise<{ frames: string[]; error?: Error }> {
  const frames: string[] = [];
  try {
    for (let frame = await reader.next(); frame !== null; frame = await reader.next()) frames.push(frame);
    return { frames };
  } catch (error) {
    return { frames, error: error as Error };
  }
}

/**
 * Resolves once the transport lets go of the frames of an operation's streamed answers (the
 * iterator's return() was called, or the stream ran out): proof that the follower is released.
 * It wraps the mount's handler, which no public API exposes; restore() puts it back.
 */
export function watchStreamRelease(app: EmulatorApp, mountId: string, operationId: string): { released: Promise<void>; restore(): void } {
  const mount = app.mount(mountId);
  const original = mount?.handlers[operationId];
  if (!mount || !original) throw new Error(`Failed to watch ${mountId} ${operationId}: no such handler.`);
  let release!: () => void;
  const released = new Promise<void>((resolve) => {
    release = resolve;
  });
  mount.handlers[operationId] = async (ctx): Promise<EmuResponse> => {
    const response = await original(ctx);
    if (response.body?.kind !== 'stream') return response;
    const frames = response.body.frames;
    async function* watched(): AsyncGenerator<StreamItem> {
      try {
        yield* frames;
      } finally {
        release();
      }
    }
    return { ...response, body: { kind: 'stream', frames: watched() } };
  };
  return { released, restore: () => (mount.handlers[operationId] = original) };
}
