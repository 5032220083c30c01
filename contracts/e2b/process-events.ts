import type { ScenarioContext } from '../kit/contract-suite.ts';
import { ScenarioStop, type SpecClient } from '../kit/spec-client.ts';
import type { StreamFrame, StreamReader } from '../kit/stream-reader.ts';
import type { E2bSandbox } from './e2b-sandbox.ts';

// envd's two streaming procedures, Start and Connect, as the suite reads them: one Connect
// envelope in, a stream of envelopes out, each a process event, the last one (flag 0x02) the
// end of the stream.

/** The flags byte of the envelope that ends a Connect stream. */
const END_STREAM = 0x02;

/** What a streaming call sends besides its envelope, as the SDK's Connect transport does. */
export const STREAM_HEADERS = { 'content-type': 'application/connect+json', 'connect-protocol-version': '1' };

/**
 * One Connect envelope: the flags byte 0, the JSON's length in 4 bytes big-endian, the JSON.
 * Written here rather than taken from the emulator, so the check shares no code with what it checks.
 */
export function connectEnvelope(message: unknown): Uint8Array {
  const json = Buffer.from(JSON.stringify(message));
  const out = Buffer.alloc(5 + json.length);
  out.writeUInt32BE(json.length, 1);
  json.copy(out, 5);
  return out;
}

export interface EndEvent {
  exitCode?: number;
  exited?: boolean;
  status?: string;
  error?: string;
}

export interface EndOfStream {
  error?: { code: string; message: string };
}

type StreamingProcedure = 'processStart' | 'processConnect';

/**
 * The events of one Start or Connect stream, taken in as they are read: the pid of the start
 * event, the output bytes of each stream (decoded from base64), the end event, and the end of the
 * stream. Where the stream breaks the protocol's order (start first, nothing after the end, flags
 * 0 on every message), the operation's behaviour check fails and says how.
 */
export class ProcessEvents {
  pid: number | undefined;
  end: EndEvent | undefined;
  endOfStream: EndOfStream | undefined;
  private readonly out = { stdout: [] as Buffer[], stderr: [] as Buffer[], pty: [] as Buffer[] };
  private events = 0;

  constructor(
    private readonly client: SpecClient,
    readonly operationId: StreamingProcedure,
    private readonly reader: StreamReader,
  ) {}

  stdout(): Buffer {
    return Buffer.concat(this.out.stdout);
  }

  stderr(): Buffer {
    return Buffer.concat(this.out.stderr);
  }

  /** A terminal's output: a process started with `pty` writes nothing else. */
  pty(): Buffer {
    return Buffer.concat(this.out.pty);
  }

  /** Reads until the start event (which must come first). */
  async started(what: string): Promise<number> {
    await this.client.readUntil(this.operationId, this.reader, (frame) => this.take(frame) && this.pid !== undefined, `${what}: the start event`);
    return this.pid!;
  }

  /** Reads until `which` has written `text` (anywhere in its output so far). */
  async output(text: string | Buffer, what: string, which: 'stdout' | 'stderr' | 'pty' = 'stdout'): Promise<void> {
    const wanted = typeof text === 'string' ? Buffer.from(text) : text;
    if (this[which]().includes(wanted)) return;
    await this.client.readUntil(this.operationId, this.reader, (frame) => this.take(frame) && this[which]().includes(wanted), `${what}: ${JSON.stringify(wanted.toString('latin1'))} on ${which}`);
  }

  /** Reads to the end of the stream; the server must end the response after its end envelope. */
  async rest(what: string): Promise<void> {
    for (const frame of await this.client.readToEnd(this.operationId, this.reader, what)) this.take(frame);
    this.client.expect(this.operationId, this.endOfStream !== undefined, `${what}: the response ended without the end-of-stream envelope (flag 0x02)`);
  }

  async cancel(): Promise<void> {
    await this.reader.cancel();
  }

  /** Takes in one frame; true, so it can sit in a read's predicate. */
  private take(frame: StreamFrame): boolean {
    const problem = (reason: string) => this.client.expect(this.operationId, false, `${reason}: ${frame.raw.slice(0, 160)}`);
    if (this.endOfStream !== undefined) {
      problem('a frame came after the end-of-stream envelope');
      return true;
    }
    const payload = (frame.payload ?? {}) as { event?: Record<string, any> } & EndOfStream;
    if (frame.flags === END_STREAM) {
      this.endOfStream = payload;
      return true;
    }
    if (frame.flags !== 0) problem(`an envelope with flags ${frame.flags}, neither 0 (a message) nor 0x02 (the end)`);
    const event = payload.event;
    if (!event) return true;
    this.events++;
    if (event.start) {
      if (this.events !== 1) problem('the start event is not the first event');
      this.pid = event.start.pid;
    } else if (this.end) {
      problem('an event came after the end event');
    }
    if (event.data) {
      for (const which of ['stdout', 'stderr', 'pty'] as const) {
        if (typeof event.data[which] === 'string') this.out[which].push(Buffer.from(event.data[which], 'base64'));
      }
    }
    if (event.end) this.end = event.end;
    return true;
  }
}

/**
 * Opens a Start or Connect stream in the sandbox. An answer that is no stream fails the behaviour
 * check and stops the scenario; the stream is let go after the scenario.
 */
export async function openEvents(client: SpecClient, sandbox: E2bSandbox, context: ScenarioContext, operationId: StreamingProcedure, message: unknown): Promise<ProcessEvents> {
  const res = await client.stream(operationId, sandbox.envd({ raw: connectEnvelope(message), headers: STREAM_HEADERS }));
  if (!('reader' in res)) {
    client.expect(operationId, false, `${JSON.stringify(message)} answered ${res.status} ${res.mediaType} ${res.text.slice(0, 160)}, not a Connect stream`);
    throw new ScenarioStop(`${operationId} answered ${res.status}`);
  }
  const reader = res.reader;
  context.cleanup(() => reader.cancel());
  return new ProcessEvents(client, operationId, reader);
}

/** Starts a command (argv, no shell), stdin closed unless asked, and reads it to its end. */
export async function run(client: SpecClient, sandbox: E2bSandbox, context: ScenarioContext, cmd: string, args: string[], extra: object = {}): Promise<ProcessEvents> {
  const events = await openEvents(client, sandbox, context, 'processStart', { process: { cmd, args, ...extra }, stdin: false });
  await events.rest(`${cmd} ${JSON.stringify(args)}`);
  return events;
}

/** A shell command, read to its end. */
export function sh(client: SpecClient, sandbox: E2bSandbox, context: ScenarioContext, script: string): Promise<ProcessEvents> {
  return run(client, sandbox, context, 'sh', ['-c', script]);
}

/** The exit code as the SDK reads it: protobuf's JSON leaves out a 0. */
export function exitCodeOf(end: EndEvent | undefined): number | undefined {
  return end ? (end.exitCode ?? 0) : undefined;
}
