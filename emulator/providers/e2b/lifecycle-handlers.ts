import { randomBytes } from 'node:crypto';
import { randomAlphanumeric } from '../../core/ids.ts';
import { TooManySandboxesError } from '../../core/sandbox-registry.ts';
import type { Handler } from '../../kernel/exchange.ts';
import { empty, json } from '../respond.ts';
import { apiError, noSuchSandbox } from './dialects.ts';
import { CLIENT_ID, DEFAULT_TIMEOUT_SECONDS, ENVD_VERSION, resumeSandbox, scheduleEnd, type E2bSandbox, type E2bSandboxData, type E2bState } from './e2b-state.ts';
import { FileMetadataStore } from './file-metadata.ts';
import { pauseProcesses, resumeProcesses } from './pause.ts';
import { SUDO_ENV } from './sudo-shim.ts';

interface NewSandbox {
  templateID: string;
  timeout?: number;
  metadata?: Record<string, string>;
  envVars?: Record<string, string>;
  secure?: boolean;
  autoPause?: boolean;
  autoPauseMemory?: boolean;
  autoResume?: { enabled?: boolean };
}

/** What create and connect answer: how to reach the sandbox, with the token envd wants of a secure one. */
function sandboxAnswer(sandbox: E2bSandbox) {
  const { templateID, envdAccessToken } = sandbox.data;
  return { sandboxID: sandbox.id, templateID, clientID: CLIENT_ID, envdVersion: ENVD_VERSION, ...(envdAccessToken && { envdAccessToken }), domain: null };
}

function listed(sandbox: E2bSandbox) {
  return {
    templateID: sandbox.data.templateID,
    sandboxID: sandbox.id,
    clientID: CLIENT_ID,
    startedAt: new Date(sandbox.data.startedAt).toISOString(),
    endAt: new Date(sandbox.data.endAt).toISOString(),
    cpuCount: 2,
    memoryMB: 512,
    diskSizeMB: 1024,
    metadata: sandbox.data.metadata,
    state: sandbox.data.paused ? ('paused' as const) : ('running' as const),
    envdVersion: ENVD_VERSION,
  };
}

/**
 * `secureByDefault`: whether a request that does not say is secure. E2B's SDK has made its
 * sandboxes secure by default since v2 (its docs, "secured access"); 2.51 no longer sends
 * `secure` to /v2/sandboxes, so there it is the default, while the older POST /sandboxes
 * secures only a `secure: true` (E2B's API handler, sandbox_create.go).
 */
export function createSandboxHandler(state: E2bState, { secureByDefault }: { secureByDefault: boolean }): Handler {
  return async ({ body }) => {
    const request = body as NewSandbox;
    const envdAccessToken = (request.secure ?? secureByDefault) ? randomBytes(32).toString('hex') : undefined;
    // E2B's ids: 20 lower-case letters and digits.
    const id = randomAlphanumeric(20);
    let sandbox: E2bSandbox;
    try {
      sandbox = await state.registry.create(
        id,
        { templateID: request.templateID, metadata: request.metadata ?? {}, startedAt: state.now(), endAt: 0, tags: new Map(), envdAccessToken, fileMetadata: new FileMetadataStore(), lifecycle: lifecycleOf(request) },
        // E2B's sandboxes start their processes in /home/user; here that is the sandbox's folder (HOME).
        { ...SUDO_ENV, ...request.envVars },
      );
    } catch (error) {
      if (error instanceof TooManySandboxesError) return apiError(429, error.message);
      throw error;
    }
    scheduleEnd(state, sandbox, request.timeout ?? DEFAULT_TIMEOUT_SECONDS);
    return json(201, sandboxAnswer(sandbox));
  };
}

/** What the sandbox's timeout does, as the request (the SDK's `lifecycle`) says. */
function lifecycleOf(request: NewSandbox): E2bSandboxData['lifecycle'] {
  const pause = request.autoPause === true;
  return {
    onTimeout: pause ? 'pause' : 'kill',
    keepMemory: request.autoPauseMemory !== false,
    autoResume: pause && request.autoResume?.enabled === true,
    resumeSeconds: request.timeout ?? DEFAULT_TIMEOUT_SECONDS,
  };
}

export function listSandboxesHandler(state: E2bState): Handler {
  return ({ query }) => {
    const wanted = new URLSearchParams(query.get('metadata') ?? '');
    const states = (query.get('state') ?? 'running').split(',');
    const sandboxes = state.registry
      .list()
      .filter((s) => states.includes(s.data.paused ? 'paused' : 'running') && [...wanted].every(([key, value]) => s.data.metadata[key] === value))
      .map(listed);
    return json(200, sandboxes);
  };
}

export function getSandboxHandler(state: E2bState): Handler {
  return ({ params }) => {
    const sandbox = state.registry.get(params.sandboxID);
    if (!sandbox) return noSuchSandbox(params.sandboxID);
    const { envdAccessToken, lifecycle } = sandbox.data;
    return json(200, { ...listed(sandbox), ...(envdAccessToken && { envdAccessToken }), lifecycle: { onTimeout: lifecycle.onTimeout, autoResume: lifecycle.autoResume }, domain: null });
  };
}

export function killSandboxHandler(state: E2bState): Handler {
  return async ({ params }) => {
    const sandbox = state.registry.get(params.sandboxID);
    if (!sandbox) return noSuchSandbox(params.sandboxID);
    if (sandbox.data.timer) clearTimeout(sandbox.data.timer);
    // Stopped processes would sit on the SIGTERM of the delete until its SIGKILL.
    if (sandbox.data.paused) resumeProcesses(sandbox);
    await state.registry.delete(sandbox.id);
    return empty(204);
  };
}

/**
 * Pauses a sandbox (pause.ts); a connect resumes it. The 409's words are E2B's API's
 * (e2b-dev/infra, packages/api/internal/handlers/sandbox_pause.go).
 */
export function pauseSandboxHandler(state: E2bState): Handler {
  return async ({ params, body }) => {
    const sandbox = state.registry.get(params.sandboxID);
    if (!sandbox) return noSuchSandbox(params.sandboxID);
    if (sandbox.data.paused) return apiError(409, `Error pausing sandbox - sandbox '${sandbox.id}' is already paused`);
    await pauseProcesses(sandbox, (body as { memory?: boolean } | undefined)?.memory !== false);
    return empty(204);
  };
}

export function setTimeoutHandler(state: E2bState): Handler {
  return ({ params, body }) => {
    const sandbox = state.registry.get(params.sandboxID);
    // A paused sandbox is not among the running ones whose life E2B's orchestrator extends
    // (inferred from sandbox_timeout.go): not found, as one that is gone.
    if (!sandbox || sandbox.data.paused) return noSuchSandbox(params.sandboxID);
    scheduleEnd(state, sandbox, (body as { timeout: number }).timeout);
    return empty(204);
  };
}

export function connectSandboxHandler(state: E2bState): Handler {
  return ({ params, body }) => {
    const sandbox = state.registry.get(params.sandboxID);
    if (!sandbox) return noSuchSandbox(params.sandboxID);
    const timeout = (body as { timeout?: number } | undefined)?.timeout;
    if (sandbox.data.paused) {
      // Resumed: it lives `timeout` from now (E2B's default when none).
      resumeSandbox(state, sandbox, timeout ?? DEFAULT_TIMEOUT_SECONDS);
      return json(201, sandboxAnswer(sandbox));
    }
    // Connect extends a sandbox's life and never shortens it (E2B's KeepAliveFor with
    // allowShorter false): `Sandbox.connect(id)` with the SDK's default must not cut short a
    // sandbox created to live longer. setSandboxTimeout is the call that may shorten it.
    if (timeout !== undefined && state.now() + timeout * 1000 > sandbox.data.endAt) scheduleEnd(state, sandbox, timeout);
    return json(200, sandboxAnswer(sandbox));
  };
}
