import { randomAlphanumeric } from '../../core/ids.ts';
import type { Handler, HandlerContext } from '../../kernel/exchange.ts';
import { json } from '../respond.ts';
import { errorResponse } from './error-response.ts';
import { toCreateSandboxResponse } from './sandbox-info.ts';
import { DEFAULT_RESOURCES, type TensorlakeState } from './tensorlake-state.ts';

/** A pool's body, as createPool() and updatePool() send it. */
interface PoolRequest {
  image: string;
  resources?: { cpus?: number; memory_mb?: number; ephemeral_disk_mb?: number };
  timeout_secs?: number;
  entrypoint?: string[];
  max_containers?: number;
  warm_containers?: number;
}

export interface Pool {
  pool_id: string;
  namespace: string;
  image: string;
  resources: { cpus: number; memory_mb: number; ephemeral_disk_mb: number };
  timeout_secs: number;
  entrypoint: string[] | null;
  max_containers: number | null;
  warm_containers: number | null;
  created_at: number;
  updated_at: number;
}

/**
 * Sandbox pools, as the SDKs' pool calls use them. The emulator boots nothing, so a pool holds
 * no warm containers: a claim makes a sandbox with the pool's settings at once, and the pool
 * remembers which of its sandboxes still live, so a delete is refused (409) while one does.
 * Pools are kept in the state until deleted or the emulator is reset (they hold no processes).
 */
export function poolHandlers(state: TensorlakeState): Record<string, Handler> {
  const pools = state.pools;
  const find = (ctx: HandlerContext) => {
    const pool = pools.get(ctx.params.pool_id);
    return pool && pool.namespace === ctx.params.namespace ? pool : undefined;
  };
  const live = (pool: Pool) => state.registry.list().filter((s) => s.data.pool_id === pool.pool_id);

  return {
    pool_create(ctx) {
      const now = Date.now();
      const pool = { pool_id: `pool-${randomAlphanumeric(12)}`, namespace: ctx.params.namespace, ...settings(ctx.body as PoolRequest), created_at: now, updated_at: now };
      pools.set(pool.pool_id, pool);
      return json(200, { pool_id: pool.pool_id, namespace: pool.namespace });
    },

    pool_list(ctx) {
      return json(200, { pools: [...pools.values()].filter((p) => p.namespace === ctx.params.namespace) });
    },

    pool_get(ctx) {
      const pool = find(ctx);
      return pool ? json(200, pool) : poolNotFound();
    },

    pool_update(ctx) {
      const pool = find(ctx);
      if (!pool) return poolNotFound();
      Object.assign(pool, settings(ctx.body as PoolRequest), { updated_at: Date.now() });
      return json(200, pool);
    },

    pool_delete(ctx) {
      const pool = find(ctx);
      if (!pool) return poolNotFound();
      const running = live(pool).length;
      if (running > 0) return errorResponse(409, `Pool ${pool.pool_id} has ${running} running sandbox${running === 1 ? '' : 'es'}: terminate ${running === 1 ? 'it' : 'them'} first`, 'POOL_IN_USE');
      pools.delete(pool.pool_id);
      return json(200, {});
    },

    async pool_claim(ctx) {
      const pool = find(ctx);
      if (!pool) return poolNotFound();
      const sandbox = await state.registry.create(`sbx-${randomAlphanumeric(16)}`, {
        namespace: pool.namespace,
        name: null,
        image: pool.image,
        resources: { ...pool.resources },
        timeout_secs: pool.timeout_secs,
        entrypoint: pool.entrypoint,
        pool_id: pool.pool_id,
      });
      return json(200, toCreateSandboxResponse(sandbox, ctx));
    },
  };
}

function settings(body: PoolRequest) {
  return {
    image: body.image,
    resources: {
      cpus: body.resources?.cpus ?? DEFAULT_RESOURCES.cpus,
      memory_mb: body.resources?.memory_mb ?? DEFAULT_RESOURCES.memory_mb,
      ephemeral_disk_mb: body.resources?.ephemeral_disk_mb ?? DEFAULT_RESOURCES.ephemeral_disk_mb,
    },
    timeout_secs: body.timeout_secs ?? 0,
    entrypoint: body.entrypoint ?? null,
    max_containers: body.max_containers ?? null,
    warm_containers: body.warm_containers ?? null,
  };
}

function poolNotFound() {
  return errorResponse(404, 'Pool not found', 'POOL_NOT_FOUND');
}
