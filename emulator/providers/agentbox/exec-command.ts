import { SpawnError } from '../../core/managed-process.ts';
import { TooManyProcessesError } from '../../core/process-supervisor.ts';
import type { Handler } from '../../kernel/exchange.ts';
import type { AgentBoxContext } from './context.ts';
import { failure, notFoundMessage, reply } from './reply.ts';
import { runExec } from './run-exec.ts';
import { sandboxPhase } from './sandbox-view.ts';

const DEFAULT_TIMEOUT_SECONDS = 30;
const MAX_TIMEOUT_SECONDS = 300;

/** POST /v1/sandboxes/{sandboxId}/exec (deprecated upstream): one command, waited for. */
export function execCommandHandler(ctx: AgentBoxContext): Handler {
  return async (request) => {
    const id = request.params.sandboxId;
    const body = request.body as { command: string; timeoutSeconds?: number };
    const record = ctx.store.live(id);
    if (!record) return failure(404, notFoundMessage(id));
    if (sandboxPhase(record) !== 'Running') {
      return failure(400, 'sandbox is not in Running phase; exec is only available for running sandboxes');
    }
    if (body.command.trim() === '') return failure(400, 'command is required');
    // Clamped rather than refused, as the server does. In `spec` fidelity the document's 1..300
    // bounds are checked before this (a 400); quirk exec-timeout-clamped lets them through.
    const asked = body.timeoutSeconds ?? DEFAULT_TIMEOUT_SECONDS;
    const seconds = asked <= 0 ? DEFAULT_TIMEOUT_SECONDS : Math.min(asked, MAX_TIMEOUT_SECONDS);
    try {
      const outcome = await runExec(record, body.command, seconds * 1000, ctx.capBytes, request.signal);
      return reply(200, { exitCode: outcome.exitCode, stdout: outcome.stdout, stderr: outcome.stderr }, outcome.headers);
    } catch (error) {
      if (error instanceof SpawnError || error instanceof TooManyProcessesError) return failure(500, `exec failed: ${error.message}`);
      throw error;
    }
  };
}
