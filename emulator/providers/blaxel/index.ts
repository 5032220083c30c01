import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { SandboxRegistry } from '../../core/sandbox-registry.ts';
import { buildMount } from '../build-mount.ts';
import type { Provider, ProviderOptions } from '../provider.ts';
import { authenticateBlaxel } from './authenticate.ts';
import type { BlaxelContext, BlaxelSandboxData } from './blaxel-context.ts';
import { controlHandlers } from './control-handlers.ts';
import { blaxelControlDialect, blaxelSandboxDialect } from './dialect.ts';
import { EdgeAwareValidator } from './edge-aware-validator.ts';
import { filesystemHandlers } from './filesystem-handlers.ts';
import { multipartHandlers } from './multipart-uploads.ts';
import { processHandlers } from './process-handlers.ts';
import { watchFilesystemHandler } from './watch-filesystem.ts';
import { LOGS_BYTES } from './process-view.ts';
import { blaxelQuirks } from './quirks.ts';

/**
 * Grace between SIGTERM and SIGKILL on stop. The real server never escalates; the emulator
 * does after 5 s so that a process ignoring SIGTERM cannot outlive a test.
 */
const DEFAULT_STOP_GRACE_MS = 5_000;

/**
 * Blaxel: the sandbox-api process surface (mount `blaxel-sandbox`, one sandbox per path name)
 * and the control-plane subset the SDK calls (mount `blaxel-control`), over one registry.
 */
export async function createBlaxelProvider(options: ProviderOptions): Promise<Provider> {
  const now = options.now ?? Date.now;
  const root = join(options.root, 'blaxel');
  const registry = new SandboxRegistry<BlaxelSandboxData>({
    root,
    supervisor: { maxRunning: options.maxProcesses, maxFinished: options.maxFinishedProcesses, now },
    maxSandboxes: options.maxSandboxes,
    now,
    activity: options.activity && { feed: options.activity, provider: 'blaxel' },
  });
  const bx: BlaxelContext = {
    registry,
    quirk: blaxelQuirks(options),
    // The server answers at most 4 MiB per stream; keeping more would never be shown.
    capBytes: options.outputCapBytes ?? LOGS_BYTES,
    stopGraceMs: options.stopGraceMs ?? DEFAULT_STOP_GRACE_MS,
    stdinLimits: options.stdinLimits,
    maxFileBytes: options.maxFileBytes,
    now,
  };
  const sandboxMount = await buildMount({
    id: 'blaxel-sandbox',
    provider: 'blaxel',
    specsDir: options.specsDir,
    specFile: 'blaxel.yaml',
    dialect: blaxelSandboxDialect,
    handlers: { ...processHandlers(bx), ...filesystemHandlers(bx), ...multipartHandlers(bx), watchFilesystem: watchFilesystemHandler(bx) },
    authenticate: authenticateBlaxel,
  });
  const controlMount = await buildMount({
    id: 'blaxel-control',
    provider: 'blaxel',
    specsDir: options.specsDir,
    specFile: 'blaxel-control.yaml',
    dialect: blaxelControlDialect,
    handlers: controlHandlers(bx),
    authenticate: authenticateBlaxel,
  });
  return {
    name: 'blaxel',
    mounts: [{ ...sandboxMount, validator: new EdgeAwareValidator(sandboxMount.validator.spec) }, controlMount],
    sandboxes: () => registry.list(),
    async reset() {
      cancelRestarts(registry);
      await registry.close();
      await rm(root, { recursive: true, force: true });
    },
    close: () => {
      cancelRestarts(registry);
      return registry.close();
    },
  };
}

/**
 * A process waiting to be run again must not start once its sandbox is going away (its watch
 * streams end with the sandbox, by Sandbox.ended).
 */
function cancelRestarts(registry: SandboxRegistry<BlaxelSandboxData>): void {
  for (const sandbox of registry.list()) {
    for (const entry of sandbox.data.processes) entry.cancelRestarts();
  }
}
