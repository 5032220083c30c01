import type { LineBatch } from '../../core/line-splitter.ts';
import type { ManagedProcess } from '../../core/managed-process.ts';
import type { StreamName } from '../../core/output-log.ts';
import type { Frame, FrameBatch, StreamItem } from '../../kernel/frames.ts';
import { sseFrame, sseLines } from '../respond.ts';
import { outputFrames } from './output-frames.ts';

export interface FollowStreamOptions {
  streams: readonly StreamName[];
  /** `/output/follow` tags each line with its stream; `/stdout|stderr/follow` do not. */
  tagStream: boolean;
  /** Quirk `follow-replay-timestamp-zero`: replayed lines carry timestamp 0. */
  replayTimestampZero: boolean;
  keepAliveMs: number;
  signal: AbortSignal;
}

/**
 * A follow stream: every line captured so far, then each new line as soon as it is complete
 * (`event: output`), the last unterminated line once the output closes, then `event: eof` with
 * `{}` - and then the end of the response, which is what the SDKs wait for (they ignore `eof`).
 */
export function followFrames(proc: ManagedProcess, options: FollowStreamOptions): AsyncGenerator<StreamItem> {
  // Chunks below this sequence number were captured before the client asked: the replay. Taken
  // now, not when the transport first pulls a frame (a generator body runs only then).
  return frames(proc, options, proc.output.nextSeq);
}

async function* frames(proc: ManagedProcess, options: FollowStreamOptions, replayedBefore: number): AsyncGenerator<StreamItem> {
  // One `output` event per line; the lines of one read travel as one batch.
  const events = (batch: LineBatch): FrameBatch | undefined => {
    const replayed = batch.seq < replayedBefore;
    const timestamp = replayed && options.replayTimestampZero ? 0 : batch.time;
    const stream = batch.stream;
    return sseLines(batch, options.tagStream ? (line) => ({ line, timestamp, stream }) : (line) => ({ line, timestamp }), 'output');
  };
  yield* outputFrames(proc, options, events);
  if (options.signal.aborted) return;
  yield eofFrame();
}

/** The `eof` event alone: the old daemon's answer to a follow of an unknown pid. */
export function eofFrame(): Frame {
  return sseFrame({}, 'eof');
}

export async function* onlyEof(): AsyncGenerator<Frame> {
  yield eofFrame();
}
