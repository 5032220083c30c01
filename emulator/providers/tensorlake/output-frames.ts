import { LineSplitter, type LineBatch } from '../../core/line-splitter.ts';
import type { ManagedProcess } from '../../core/managed-process.ts';
import type { StreamName } from '../../core/output-log.ts';
import type { FrameBatch, StreamItem } from '../../kernel/frames.ts';
import { sseComment } from '../respond.ts';
import { IDLE, withKeepAlive } from './keep-alive.ts';

export interface OutputFramesOptions {
  /** Streams followed. Default: both. */
  streams?: readonly StreamName[];
  keepAliveMs: number;
  signal: AbortSignal;
}

/**
 * What the follow and run streams share: a process's output, replay then live, as the frames
 * `frame` makes of each read's lines, a keep-alive comment whenever it is quiet for
 * `keepAliveMs`, and the last unterminated line once the output closes. Ends without that last
 * line when the client goes (`signal`).
 */
export async function* outputFrames(
  proc: ManagedProcess,
  options: OutputFramesOptions,
  frame: (lines: LineBatch) => FrameBatch | undefined,
): AsyncGenerator<StreamItem> {
  const splitter = new LineSplitter();
  const chunks = proc.output.follow({ streams: options.streams, signal: options.signal });
  for await (const item of withKeepAlive(chunks, options.keepAliveMs, options.signal)) {
    if (item === IDLE) {
      yield sseComment('keep-alive');
      continue;
    }
    const batch = frame(splitter.push(item));
    if (batch) yield batch;
  }
  if (options.signal.aborted) return;
  for (const rest of splitter.end()) {
    const batch = frame(rest);
    if (batch) yield batch;
  }
}
