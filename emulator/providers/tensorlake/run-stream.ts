import type { LineBatch } from '../../core/line-splitter.ts';
import { signalNumber, type ManagedProcess } from '../../core/managed-process.ts';
import type { StreamItem } from '../../kernel/frames.ts';
import { sseFrame, sseLines } from '../respond.ts';
import { outputFrames } from './output-frames.ts';

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
