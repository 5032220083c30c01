import { LineSplitter, type LineBatch } from '../../core/line-splitter.ts';
import type { StreamName } from '../../core/output-log.ts';
import type { Frame, FrameBatch, StreamItem } from '../../kernel/frames.ts';
import { textLineBatch } from '../line-frames.ts';
import type { ProcessEntry } from './process-entry.ts';
import { processEvents } from './process-events.ts';
import { TRUNCATION_MARKER } from './output-text.ts';

/** The server writes `[keepalive]` into every log stream this often while the process runs. */
export const LOG_KEEPALIVE_MS = 30_000;

export interface LogStreamOptions {
  signal: AbortSignal;
  /** Quirk logs-stream-prefix-per-chunk: live output prefixed once per read, not once per line. */
  prefixPerChunk: boolean;
  /** Quirk logs-stream-ends-at-first-exit: the stream ends with the run it started in. */
  endAtRunExit?: boolean;
  keepaliveMs?: number;
}

/**
 * GET /process/{identifier}/logs/stream as text/plain lines: `stdout:<text>` / `stderr:<text>`,
 * first what the process already wrote, then live output, control lines unprefixed. The
 * stream ends once the process has ended and its output is drained.
 */
export async function* logStreamFrames(entry: ProcessEntry, options: LogStreamOptions): AsyncGenerator<StreamItem> {
  const log = entry.output;
  const backlogEnd = log.nextSeq;
  if (log.dropped('stdout') > 0 || log.dropped('stderr') > 0) yield line(`stdout:${TRUNCATION_MARKER.trimEnd()}`);
  const splitter = new LineSplitter();
  const decoders: Record<StreamName, TextDecoder> = { stdout: new TextDecoder(), stderr: new TextDecoder() };
  let live = false;
  const endBefore = options.endAtRunExit ? entry.currentRunEnd() : undefined;
  for await (const event of processEvents(entry, { signal: options.signal, tickMs: options.keepaliveMs ?? LOG_KEEPALIVE_MS, endBefore })) {
    if (event.kind === 'tick') {
      yield line('[keepalive]');
    } else if (event.kind === 'banner') {
      yield { data: event.text, payload: event.text.trim() };
    } else if (event.kind === 'chunk') {
      const chunk = event.chunk;
      if (options.prefixPerChunk && chunk.seq >= backlogEnd) {
        // The backlog is replayed line by line from the combined file; live reads are not.
        if (!live) {
          live = true;
          yield* prefixedLines(splitter.end());
        }
        const text = decoders[chunk.stream].decode(chunk.data, { stream: true });
        if (text) yield { data: `${chunk.stream}:${text}`, payload: `${chunk.stream}:${text}` };
      } else {
        yield* prefixedLines([splitter.push(chunk)]);
      }
    }
  }
  // The last line of a process that ended without a newline.
  yield* prefixedLines(splitter.end());
}

/** `stdout:<line>` per line; the lines of one read go as one batch. */
function* prefixedLines(batches: LineBatch[]): Generator<FrameBatch> {
  for (const lines of batches) {
    const batch = textLineBatch(lines, `${lines.stream}:`);
    if (batch) yield batch;
  }
}

/** One line of the stream; the payload (what the document's `type: string` describes) has no newline. */
function line(text: string): Frame {
  return { data: `${text}\n`, payload: text };
}
