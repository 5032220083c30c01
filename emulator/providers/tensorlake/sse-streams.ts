import { LineSplitter, type LineBatch } from '../../core/line-splitter.ts';
import { signalNumber, type ManagedProcess } from '../../core/managed-process.ts';
import type { StreamName } from '../../core/output-log.ts';
import type { Frame, FrameBatch, StreamItem } from '../../kernel/frames.ts';
import { sseComment, sseFrame, sseLines } from '../respond.ts';
import { IDLE, withKeepAlive } from '../../core/keep-alive.ts';

// Tensorlake's SSE answers, in one place: the follow streams (`/api/v1/processes/{pid}/`
// `output/follow`, `stdout/follow`, `stderr/follow`) and the run stream (`POST
// /api/v1/processes/run`). respond.ts makes each frame (sseFrame, sseLines); output-handlers.ts
// and process-handlers.ts answer with these generators.

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

/**
 * The run stream: data-only SSE frames (no `event:` line, as in the docs), the SDKs telling
 * them apart by their keys: `{handle, pid, started_at}`, then `{line, timestamp, stream}` per
 * line as soon as it is complete, then `{exit_code}` or `{signal}` once the process has ended
 * and its output is drained - then the end of the response, which is what the SDKs wait for.
 */
export async function* runFrames(proc: ManagedProcess, options: { keepAliveMs: number; signal: AbortSignal }): AsyncGenerator<StreamItem> {
  yield sseFrame({ handle: proc.handle, pid: proc.pid, started_at: proc.startedAt });
  // One frame per line; the lines of one read travel as one batch.
  const lines = (batch: LineBatch) => {
    const { time: timestamp, stream } = batch;
    return sseLines(batch, (line) => ({ line, timestamp, stream }));
  };
  yield* outputFrames(proc, options, lines);
  if (options.signal.aborted) return;
  const exit = await proc.done;
  const signal = signalNumber(exit.signal);
  // Node reports either a code or a signal; -1 only if the OS reported neither, never expected.
  yield sseFrame(signal !== null ? { signal } : { exit_code: exit.exitCode ?? -1 });
}

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
