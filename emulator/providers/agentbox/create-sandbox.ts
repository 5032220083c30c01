import { TooManyProcessesError } from '../../core/process-supervisor.ts';
import type { Handler } from '../../kernel/exchange.ts';
import type { AgentBoxContext } from './context.ts';
import { parseGoDuration } from './go-duration.ts';
import { mainContainerIndex } from './pools.ts';
import { failure, NAMESPACE, reply } from './reply.ts';
import { ClaimError } from './sandbox-store.ts';
import { sandboxPhase, sandboxView } from './sandbox-view.ts';

interface CreateSandboxBody {
  poolName: string;
  image?: string;
  containerImages?: Record<string, string>;
  metadata?: Record<string, string>;
  startupTimeout?: string;
  idleTimeout?: string;
}

/** POST /v1/sandboxes: claims a sandbox from a pool; every container starts as a real process. */
export function createSandboxHandler(ctx: AgentBoxContext): Handler {
  return async (request) => {
    const body = request.body as CreateSandboxBody;
    const poolName = body.poolName.trim();
    if (poolName === '') return failure(400, 'poolName is required');
    for (const field of ['startupTimeout', 'idleTimeout'] as const) {
      const value = body[field];
      if (value === undefined) continue;
      const seconds = parseGoDuration(value);
      // The server refuses "0" too, though its document says it disables the timeout.
      if (seconds === undefined || seconds <= 0) return failure(400, `invalid ${field} "${value}": must be a positive duration such as 90s or 15m`);
    }
    const pool = ctx.pools.get(poolName);
    if (!pool) {
      return failure(404, `sandbox pool ${NAMESPACE}/${poolName} not found`, {
        availablePools: [...ctx.pools.values()].map((p) => ({
          name: p.name,
          namespace: NAMESPACE,
          // The emulator makes a pod for every claim, so a pool always has one ready.
          idle: 1,
          running: ctx.store.list().filter((r) => r.poolName === p.name && sandboxPhase(r) === 'Running').length,
          starting: 0,
        })),
        hint: 'Pick a pool from availablePools or create one first.',
      });
    }
    const images: Record<string, string> = {};
    if (body.image) images[pool.containers[mainContainerIndex(pool)].name] = body.image;
    Object.assign(images, body.containerImages);
    const idle = body.idleTimeout === undefined ? undefined : Math.trunc(parseGoDuration(body.idleTimeout)!);
    try {
      const record = await ctx.store.claim(pool, {
        metadata: body.metadata,
        idleTimeoutSeconds: idle,
        containerImages: Object.keys(images).length > 0 ? images : undefined,
      });
      return reply(201, { sandbox: sandboxView(record, ctx.now()) });
    } catch (error) {
      if (error instanceof ClaimError || error instanceof TooManyProcessesError) return failure(500, error.message);
      throw error;
    }
  };
}
