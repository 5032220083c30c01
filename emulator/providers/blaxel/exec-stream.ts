import type { StreamName } from '../../core/output-log.ts';
import type { Frame } from '../../kernel/frames.ts';
import { ndjsonFrame } from '../respond.ts';
import type { ProcessEntry } from './process-entry.ts';
import { processEvents } from './process-events.ts';

/** Streaming exec sends a `keepalive` frame this often while the process runs. */
export const EXEC_KEEPALIVE_MS = 5_000;

/** Every this many exec keepalives the generic log keepalive (30 s) passes as well. */
const LOG_KEEPALIVE_EVERY = 6;

export interface ExecStreamOptions {
  signal: AbortSignal;
  /** Seconds that bound the wait; 0 = none. On expiry: one `error` frame, the process keeps running. */
  timeoutSeconds: number;
  /** Quirk exec-stream-keepalive-as-stdout: `[keepalive]` and banners also come as stdout frames. */
  controlLinesAsStdout: boolean;
  keepaliveMs?: number;
  /** The final record, serialised into the `result` frame. */
  result: () => unknown;
}

/**
 * POST /process with `Accept: text/event-stream`: NDJSON frames `{type, data}`: output as it
 * is read, `keepalive` while running, and a last `result` whose data is the ProcessResponse as a
 * JSON string.
 */
export async function* execStreamFrames(entry: ProcessEntry, options: ExecStreamOptions): AsyncGenerator<Frame> {
  const decoders: Record<StreamName, TextDecoder> = { stdout: new TextDecoder(), stderr: new TextDecoder() };
  const deadlineAt = options.timeoutSeconds > 0 ? Date.now() + options.timeoutSeconds * 1000 : undefined;
  let ticks = 0;
  for await (const event of processEvents(entry, { signal: options.signal, tickMs: options.keepaliveMs ?? EXEC_KEEPALIVE_MS, deadlineAt })) {
    switch (event.kind) {
      case 'chunk': {
        const data = decoders[event.chunk.stream].decode(event.chunk.data, { stream: true });
        if (data) yield ndjsonFrame({ type: event.chunk.stream, data });
        break;
      }
      case 'tick':
        yield ndjsonFrame({ type: 'keepalive' });
        if (options.controlLinesAsStdout && ++ticks % LOG_KEEPALIVE_EVERY === 0) yield ndjsonFrame({ type: 'stdout', data: '[keepalive]\n' });
        break;
      case 'banner':
        if (options.controlLinesAsStdout) yield ndjsonFrame({ type: 'stdout', data: event.text });
        break;
      case 'deadline':
        yield ndjsonFrame({ type: 'error', data: `process timed out after ${options.timeoutSeconds} seconds` });
        return;
    }
  }
  if (options.signal.aborted) return;
  for (const stream of ['stdout', 'stderr'] as const) {
    const rest = decoders[stream].decode();
    if (rest) yield ndjsonFrame({ type: stream, data: rest });
  }
  yield ndjsonFrame({ type: 'result', data: JSON.stringify(options.result()) });
}

/** A start failure in streaming mode, as the server really sends it (quirk exec-stream-errors-as-frames). */
export async function* execStreamError(message: string): AsyncGenerator<Frame> {
  yield ndjsonFrame({ type: 'error', data: message });
}
