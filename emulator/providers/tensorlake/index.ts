import { join } from 'node:path';
import { SandboxRegistry } from '../../core/sandbox-registry.ts';
import { buildMount } from '../build-mount.ts';
import type { Provider, ProviderOptions } from '../provider.ts';
import { hasBearerToken, tensorlakeDialect } from './dialect.ts';
import { daemonHandlers } from './daemon-handlers.ts';
import { fileHandlers } from './file-handlers.ts';
import { lifecycleHandlers } from './lifecycle-handlers.ts';
import { poolHandlers } from './pool-handlers.ts';
import { outputHandlers } from './output-handlers.ts';
import { processHandlers } from './process-handlers.ts';
import { tensorlakeQuirks } from './quirks.ts';
import type { TensorlakeSandboxData, TensorlakeState } from './tensorlake-state.ts';
import { TerminatedSandboxes } from './terminated-sandboxes.ts';

/**
 * Bytes of output kept per stream and process: 16 MiB. Tensorlake documents no limit (the old
 * daemon appended each stream to a log file on the sandbox's disk, so its only bound was the
 * disk). The emulator keeps output in memory, so it needs a bound: 16 MiB holds any build log
 * or test run a client reads back through this API, yet a process writing without end costs at
 * most 32 MiB. Older bytes go first. Overridden by `outputCapBytes`.
 */
export const TENSORLAKE_OUTPUT_CAP_BYTES = 16 * 1024 * 1024;

/**
 * Idle time before a follow or run stream sends an SSE comment: 15 s, the keep-alive interval
 * of the daemon's web framework (axum). The SDKs ignore comments.
 */
export const TENSORLAKE_KEEP_ALIVE_MS = 15_000;

/**
 * Tensorlake: the sandbox runtime API (`/api/v1/processes...`, one base URL per sandbox) and
 * the lifecycle subset the SDKs call on a localhost API URL (`/v1/namespaces/...`), both from
 * specs/tensorlake.yaml and sharing one registry of sandboxes.
 *
 * `stopGraceMs` is not used: Tensorlake has no stop operation, only kill (SIGKILL) and signal.
 */
export async function createTensorlakeProvider(options: ProviderOptions): Promise<Provider> {
  const registry = new SandboxRegistry<TensorlakeSandboxData>({
    root: join(options.root, 'tensorlake'),
    supervisor: { maxRunning: options.maxProcesses, maxFinished: options.maxFinishedProcesses },
    maxSandboxes: options.maxSandboxes,
    now: options.now,
    activity: options.activity && { feed: options.activity, provider: 'tensorlake' },
  });
  const state: TensorlakeState = {
    registry,
    terminated: new TerminatedSandboxes(),
    pools: new Map(),
    quirk: tensorlakeQuirks(options),
    capBytes: options.outputCapBytes ?? TENSORLAKE_OUTPUT_CAP_BYTES,
    keepAliveMs: TENSORLAKE_KEEP_ALIVE_MS,
    stdinLimits: options.stdinLimits,
    maxFileBytes: options.maxFileBytes,
  };
  const common = { provider: 'tensorlake' as const, specsDir: options.specsDir, specFile: 'tensorlake.yaml', authenticate: hasBearerToken };
  const runtime = await buildMount({
    ...common,
    id: 'tensorlake-runtime',
    pathFilter: (p) => p.startsWith('/api/'),
    dialect: tensorlakeDialect('runtime'),
    handlers: { ...processHandlers(state), ...outputHandlers(state), ...fileHandlers(state), ...daemonHandlers(state) },
  });
  const lifecycle = await buildMount({
    ...common,
    id: 'tensorlake-lifecycle',
    pathFilter: (p) => p.startsWith('/v1/'),
    dialect: tensorlakeDialect('lifecycle'),
    handlers: { ...lifecycleHandlers(state), ...poolHandlers(state) },
  });
  return {
    name: 'tensorlake',
    mounts: [runtime, lifecycle],
    sandboxes: () => registry.list(),
    async reset() {
      // Delete (not just close) so each sandbox's folder goes too; the registry stays usable.
      await Promise.all(registry.list().map((s) => registry.delete(s.id)));
      await registry.close();
      state.terminated.clear();
      state.pools.clear();
    },
    close: () => registry.close(),
  };
}
