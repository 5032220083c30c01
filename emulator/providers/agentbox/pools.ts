import type { AgentBoxPool } from '../provider.ts';

/**
 * The pool every emulator has. Its one container idles forever so that exec works against it;
 * `sleep` with a number is understood by coreutils and busybox alike, so the pool runs on a
 * minimal Linux image too.
 */
export const DEFAULT_POOL: AgentBoxPool = {
  name: 'default',
  containers: [{ name: 'sandbox', command: 'sleep 2147483647' }],
};

/** The name AgentBox gives a sandbox's own container; without one, the first container is it. */
export const MAIN_CONTAINER = 'sandbox';

/** The pools by name: the configured ones, plus `default` unless one of them replaces it. */
export function poolCatalogue(configured: readonly AgentBoxPool[] = []): Map<string, AgentBoxPool> {
  const pools = new Map<string, AgentBoxPool>([[DEFAULT_POOL.name, DEFAULT_POOL]]);
  const seen = new Set<string>();
  for (const pool of configured) {
    if (!pool?.name || typeof pool.name !== 'string') {
      throw new Error('Failed to configure AgentBox pools: a pool has no name. Give every pool a name.');
    }
    if (seen.has(pool.name)) throw new Error(`Failed to configure AgentBox pools: '${pool.name}' is given twice. Give each pool once.`);
    seen.add(pool.name);
    if (!Array.isArray(pool.containers) || pool.containers.length === 0) {
      throw new Error(`Failed to configure AgentBox pool '${pool.name}': it has no containers. Give it at least one {name, command}.`);
    }
    const names = new Set<string>();
    for (const container of pool.containers) {
      if (!container?.name || typeof container.command !== 'string' || container.command.trim() === '') {
        throw new Error(`Failed to configure AgentBox pool '${pool.name}': every container needs a name and a command.`);
      }
      if (names.has(container.name)) {
        throw new Error(`Failed to configure AgentBox pool '${pool.name}': container '${container.name}' is given twice. Name each container once.`);
      }
      names.add(container.name);
    }
    pools.set(pool.name, pool);
  }
  return pools;
}

/** Index of the pool's own container: the one named `sandbox`, else the first. */
export function mainContainerIndex(pool: AgentBoxPool): number {
  const index = pool.containers.findIndex((c) => c.name === MAIN_CONTAINER);
  return index === -1 ? 0 : index;
}
