import type { Handler } from '../../kernel/exchange.ts';
import type { AgentBoxContext } from './context.ts';
import { failure, notFoundMessage, reply } from './reply.ts';
import { sandboxView } from './sandbox-view.ts';

/**
 * GET /v1/sandboxes/{sandboxId}. A released sandbox is still found, as the server falls back
 * to its history store, with its final status. Ids are used as they come: a single cluster
 * has no `{clusterID}.` prefix to strip.
 */
export function getSandboxHandler(ctx: AgentBoxContext): Handler {
  return (request) => {
    const id = request.params.sandboxId;
    const record = ctx.store.get(id);
    if (!record) return failure(404, notFoundMessage(id));
    return reply(200, { sandbox: sandboxView(record, ctx.now()) });
  };
}
