import type { Handler } from '../../kernel/exchange.ts';
import type { AgentBoxContext } from './context.ts';
import { failure, notFoundMessage, reply } from './reply.ts';

/**
 * DELETE /v1/sandboxes/{sandboxId}: accepted (202) and finished in the background. `Stopping`
 * while processes are being ended, `Terminated` when none was left running. Only a live
 * sandbox can be released; a second release is a 404.
 */
export function deleteSandboxHandler(ctx: AgentBoxContext): Handler {
  return (request) => {
    const id = request.params.sandboxId;
    const record = ctx.store.live(id);
    if (!record) return failure(404, notFoundMessage(id));
    const status = ctx.store.release(record);
    return reply(202, { sandboxId: record.id, namespace: record.namespace, poolName: record.poolName, podName: record.podName, status });
  };
}
