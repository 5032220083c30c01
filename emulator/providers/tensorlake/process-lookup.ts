import type { ManagedProcess } from '../../core/managed-process.ts';
import type { EmuResponse, HandlerContext } from '../../kernel/exchange.ts';
import { processNotFound } from './error-response.ts';
import { findProcess, parseProcessRef, type ProcessRef } from './process-ref.ts';
import { runtimeSandbox, type TensorlakeSandbox, type TensorlakeState } from './tensorlake-state.ts';

export interface ProcessTarget {
  sandbox: TensorlakeSandbox;
  ref: ProcessRef;
  proc: ManagedProcess | undefined;
}

/** The sandbox of the request and the process its `{pid}` segment names (undefined if none). */
export async function lookupProcess(state: TensorlakeState, ctx: HandlerContext): Promise<ProcessTarget> {
  const sandbox = await runtimeSandbox(state, ctx.vars);
  const ref = parseProcessRef(ctx.params.pid);
  return { sandbox, ref, proc: findProcess(sandbox, ref) };
}

/** Runs `handle` on the process the path names, or answers the documented 404. */
export async function withProcess(
  state: TensorlakeState,
  ctx: HandlerContext,
  handle: (proc: ManagedProcess, target: ProcessTarget) => EmuResponse | Promise<EmuResponse>,
): Promise<EmuResponse> {
  const target = await lookupProcess(state, ctx);
  if (!target.proc) return processNotFound(target.ref.label);
  return handle(target.proc, target);
}
