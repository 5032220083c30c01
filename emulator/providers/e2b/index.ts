import { join } from 'node:path';
import { SandboxRegistry } from '../../core/sandbox-registry.ts';
import type { Handler } from '../../kernel/exchange.ts';
import { buildMount } from '../build-mount.ts';
import type { Provider, ProviderOptions } from '../provider.ts';
import { apiDialect, envdDialect } from './dialects.ts';
import type { E2bSandboxData, E2bState } from './e2b-state.ts';
import { downloadHandler, listDirHandler, makeDirHandler, moveHandler, removeHandler, statHandler, uploadHandler } from './envd-files.ts';
import { createWatcherHandler, getWatcherEventsHandler, removeWatcherHandler, watchDirHandler } from './envd-watch.ts';
import { closeStdinHandler, connectHandler, healthHandler, listHandler, sendInputHandler, sendSignalHandler, startHandler, updateHandler } from './envd-handlers.ts';
import { sandboxMetricsHandler } from './sandbox-metrics.ts';
import { e2bSandboxPorts } from './sandbox-ports.ts';
import { connectSandboxHandler, createSandboxHandler, getSandboxHandler, killSandboxHandler, listSandboxesHandler, pauseSandboxHandler, setTimeoutHandler } from './lifecycle-handlers.ts';

/** Bytes of output kept per stream and process: envd streams output as it comes and keeps none; this bounds a Connect's view. */
const E2B_OUTPUT_CAP_BYTES = 4 * 1024 * 1024;

/**
 * E2B: its lifecycle API (mount `e2b-api`, specs/e2b.yaml) and the process service of envd, the
 * daemon in each sandbox, over the Connect protocol, with its filesystem and /files (mount
 * `e2b-envd`, specs/e2b-envd.yaml),
 * over one registry of sandboxes.
 */
export async function createE2bProvider(options: ProviderOptions): Promise<Provider> {
  const now = options.now ?? Date.now;
  const registry = new SandboxRegistry<E2bSandboxData>({
    root: join(options.root, 'e2b'),
    supervisor: { maxRunning: options.maxProcesses, maxFinished: options.maxFinishedProcesses, now },
    maxSandboxes: options.maxSandboxes,
    now,
    activity: options.activity && { feed: options.activity, provider: 'e2b' },
  });
  const state: E2bState = { registry, capBytes: options.outputCapBytes ?? E2B_OUTPUT_CAP_BYTES, now, ptyDir: join(options.root, 'e2b-pty') };
  const connect = connectSandboxHandler(state);
  const apiHandlers: Record<string, Handler> = {
    createSandbox: createSandboxHandler(state, { secureByDefault: true }),
    createSandboxV1: createSandboxHandler(state, { secureByDefault: false }),
    listSandboxes: listSandboxesHandler(state),
    getSandbox: getSandboxHandler(state),
    killSandbox: killSandboxHandler(state),
    setSandboxTimeout: setTimeoutHandler(state),
    pauseSandbox: pauseSandboxHandler(state),
    getSandboxMetrics: sandboxMetricsHandler(state),
    connectSandbox: connect,
    connectSandboxV1: connect,
  };
  const envdHandlers: Record<string, Handler> = {
    health: healthHandler(state),
    processStart: startHandler(state),
    processConnect: connectHandler(state),
    processList: listHandler(state),
    processSendInput: sendInputHandler(state),
    processCloseStdin: closeStdinHandler(state),
    processSendSignal: sendSignalHandler(state),
    processUpdate: updateHandler(state),
    filesystemStat: statHandler(state),
    filesystemMakeDir: makeDirHandler(state),
    filesystemListDir: listDirHandler(state),
    filesystemRemove: removeHandler(state),
    filesystemMove: moveHandler(state),
    filesystemWatchDir: watchDirHandler(state),
    filesystemCreateWatcher: createWatcherHandler(state),
    filesystemGetWatcherEvents: getWatcherEventsHandler(state),
    filesystemRemoveWatcher: removeWatcherHandler(state),
    filesDownload: downloadHandler(state),
    filesUpload: uploadHandler(state),
  };
  const api = await buildMount({
    id: 'e2b-api',
    provider: 'e2b',
    specsDir: options.specsDir,
    specFile: 'e2b.yaml',
    dialect: apiDialect(),
    handlers: apiHandlers,
    authenticate: (headers, token) => headers['x-api-key'] === token,
  });
  const envd = await buildMount({ id: 'e2b-envd', provider: 'e2b', specsDir: options.specsDir, specFile: 'e2b-envd.yaml', dialect: envdDialect(), handlers: envdHandlers });
  const endTimers = () => {
    for (const sandbox of registry.list()) if (sandbox.data.timer) clearTimeout(sandbox.data.timer);
  };
  return {
    name: 'e2b',
    mounts: [api, envd],
    sandboxes: () => registry.list(),
    sandboxPorts: e2bSandboxPorts(state),
    async reset() {
      endTimers();
      await Promise.all(registry.list().map((s) => registry.delete(s.id)));
    },
    async close() {
      endTimers();
      await registry.close();
    },
  };
}
