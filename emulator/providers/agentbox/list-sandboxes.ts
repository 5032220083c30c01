import type { Handler } from '../../kernel/exchange.ts';
import type { AgentBoxContext } from './context.ts';
import { reply } from './reply.ts';
import { sandboxPhase, sandboxView } from './sandbox-view.ts';

const DEFAULT_LIMIT = 20;
/** What the server really allows; the document says 1000 (quirk list-limit-clamped-to-100). */
const OBSERVED_MAX_LIMIT = 100;

/** GET /v1/sandboxes: live and released sandboxes, newest claim first (then by id). */
export function listSandboxesHandler(ctx: AgentBoxContext): Handler {
  return (request) => {
    const poolName = request.query.get('poolName');
    const statuses = new Set(
      (request.query.get('status') ?? '')
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean),
    );
    let limit = integer(request.query.get('limit')) ?? DEFAULT_LIMIT;
    if (ctx.quirk('list-limit-clamped-to-100')) limit = Math.min(limit, OBSERVED_MAX_LIMIT);
    const offset = Math.max(0, integer(request.query.get('offset')) ?? 0);
    const now = ctx.now();
    const matches = ctx.store
      .list()
      .filter((r) => !poolName || r.poolName === poolName)
      .filter((r) => statuses.size === 0 || statuses.has(sandboxPhase(r)))
      .sort((a, b) => b.claimedAt - a.claimedAt || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0));
    return reply(200, {
      items: matches.slice(offset, offset + limit).map((r) => sandboxView(r, now)),
      total: matches.length,
      limit,
      offset,
    });
  };
}

function integer(value: string | null): number | undefined {
  if (value === null || value === '') return undefined;
  const n = Number(value);
  return Number.isInteger(n) ? n : undefined;
}
