import { splitLines } from '../../core/line-splitter.ts';
import type { ManagedProcess } from '../../core/managed-process.ts';
import type { StreamName } from '../../core/output-log.ts';
import type { EmuResponse, Handler, HandlerContext } from '../../kernel/exchange.ts';
import { droppedHeader } from '../dropped-output.ts';
import { json, stream } from '../respond.ts';
import { processNotFound } from './error-response.ts';
import { followFrames, onlyEof } from './sse-streams.ts';
import { lookupProcess } from './process-lookup.ts';
import { isInt32 } from './process-ref.ts';
import type { TensorlakeState } from './tensorlake-state.ts';

type Which = 'stdout' | 'stderr' | 'output';

const STREAMS_OF: Record<Which, readonly StreamName[]> = {
  stdout: ['stdout'],
  stderr: ['stderr'],
  output: ['stdout', 'stderr'],
};

/** Captured output (`/stdout`, `/stderr`, `/output`) and its follow streams, keyed by operationId. */
export function outputHandlers(state: TensorlakeState): Record<string, Handler> {
  return {
    sandbox_process_stdout: (ctx) => captured(state, ctx, 'stdout'),
    sandbox_process_stderr: (ctx) => captured(state, ctx, 'stderr'),
    sandbox_process_output: (ctx) => captured(state, ctx, 'output'),
    sandbox_process_stdout_follow: (ctx) => follow(state, ctx, 'stdout'),
    sandbox_process_stderr_follow: (ctx) => follow(state, ctx, 'stderr'),
    sandbox_process_output_follow: (ctx) => follow(state, ctx, 'output'),
  };
}

/** Every line captured so far, without line endings; an unterminated last line counts as a line. */
async function captured(state: TensorlakeState, ctx: HandlerContext, which: Which): Promise<EmuResponse> {
  const { ref, proc } = await lookupProcess(state, ctx);
  if (!proc) {
    // The old daemon read per-pid log files, so an unknown pid simply had none.
    if (state.quirk('captured-output-unknown-pid-200-empty') && ref.kind === 'pid' && isInt32(ref.pid)) {
      return json(200, { pid: ref.pid, lines: [], line_count: 0 });
    }
    return processNotFound(ref.label);
  }
  const lines = linesOf(proc, which, state.quirk('output-stdout-then-stderr'));
  return json(200, { pid: proc.pid, lines, line_count: lines.length }, droppedHeader(proc, STREAMS_OF[which]));
}

function linesOf(proc: ManagedProcess, which: Which, stdoutThenStderr: boolean): string[] {
  if (which === 'output' && stdoutThenStderr) {
    // The old daemon concatenated the two log files instead of interleaving them.
    return [...textOf(proc, ['stdout']), ...textOf(proc, ['stderr'])];
  }
  // Spec: merged in the order the lines were written (the chunks' sequence numbers).
  return textOf(proc, STREAMS_OF[which]);
}

function textOf(proc: ManagedProcess, streams: readonly StreamName[]): string[] {
  return splitLines(proc.output.chunks({ streams })).map((line) => line.text);
}

async function follow(state: TensorlakeState, ctx: HandlerContext, which: Which): Promise<EmuResponse> {
  const { ref, proc } = await lookupProcess(state, ctx);
  if (!proc) {
    if (state.quirk('follow-unknown-pid-200-eof')) return stream(200, 'text/event-stream', onlyEof());
    return processNotFound(ref.label);
  }
  return stream(
    200,
    'text/event-stream',
    followFrames(proc, {
      streams: STREAMS_OF[which],
      tagStream: which === 'output',
      replayTimestampZero: state.quirk('follow-replay-timestamp-zero'),
      keepAliveMs: state.keepAliveMs,
      signal: ctx.signal,
    }),
  );
}
