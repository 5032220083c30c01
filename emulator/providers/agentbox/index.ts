import { join } from 'node:path';
import type { Handler } from '../../kernel/exchange.ts';
import { buildMount } from '../build-mount.ts';
import type { Provider, ProviderOptions } from '../provider.ts';
import { ApiKeyAuth } from './api-key-auth.ts';
import type { AgentBoxContext } from './context.ts';
import { createSandboxHandler } from './create-sandbox.ts';
import { deleteSandboxHandler } from './delete-sandbox.ts';
import { agentBoxDialect } from './dialect.ts';
import { execCommandHandler } from './exec-command.ts';
import { getLogsHandler } from './get-logs.ts';
import { getSandboxHandler } from './get-sandbox.ts';
import { listSandboxesHandler } from './list-sandboxes.ts';
import { poolCatalogue } from './pools.ts';
import { agentBoxQuirks } from './quirks.ts';
import { relaxValidation } from './relaxed-validation.ts';
import { reply } from './reply.ts';
import { SandboxStore } from './sandbox-store.ts';
import { streamLogsHandler } from './stream-logs.ts';

/**
 * Bytes of output kept per stream and container. The kubelet rotates a container's log at
 * 10 MiB by default (containerLogMaxSize), so that is all a real pod's log can give back.
 */
export const AGENTBOX_OUTPUT_CAP_BYTES = 10 * 1024 * 1024;

/** Grace between SIGTERM and SIGKILL on release; Kubernetes' default is 30 s, tests want less. */
const DEFAULT_STOP_GRACE_MS = 5_000;

/** The AgentBox native API: one mount, `/v1/...` and `/ping`, served under /agentbox. */
export async function createAgentBoxProvider(options: ProviderOptions): Promise<Provider> {
  const now = options.now ?? Date.now;
  const capBytes = options.outputCapBytes ?? AGENTBOX_OUTPUT_CAP_BYTES;
  const pools = poolCatalogue(options.pools);
  const store = new SandboxStore({
    root: join(options.root, 'agentbox'),
    capBytes,
    graceMs: options.stopGraceMs ?? DEFAULT_STOP_GRACE_MS,
    maxProcesses: options.maxProcesses,
    maxSandboxes: options.maxSandboxes,
    maxFinishedProcesses: options.maxFinishedProcesses,
    now,
    activity: options.activity && { feed: options.activity, provider: 'agentbox' },
  });
  const quirk = agentBoxQuirks(options);
  const ctx: AgentBoxContext = { store, pools, quirk, now, capBytes };
  const auth = new ApiKeyAuth();
  const handlers: Record<string, Handler> = {
    Ping: () => reply(200, { status: 'ok' }),
    CreateSandbox: createSandboxHandler(ctx),
    ListSandboxes: listSandboxesHandler(ctx),
    GetSandbox: getSandboxHandler(ctx),
    DeleteSandbox: deleteSandboxHandler(ctx),
    ExecSandboxCommand: execCommandHandler(ctx),
    GetSandboxLogs: getLogsHandler(ctx),
    StreamSandboxLogs: streamLogsHandler(ctx),
  };
  const mount = await buildMount({
    id: 'agentbox',
    provider: 'agentbox',
    specsDir: options.specsDir,
    specFile: 'agentbox.yaml',
    dialect: agentBoxDialect(auth),
    handlers,
    authenticate: auth.authenticate,
  });
  return {
    name: 'agentbox',
    mounts: [{ ...mount, router: relaxValidation(mount.router, quirk) }],
    sandboxes: () => store.sandboxes(),
    reset: () => store.reset(),
    close: () => store.close(),
  };
}
