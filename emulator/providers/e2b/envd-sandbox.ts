import { REASON_HEADER } from '../../kernel/emulator-headers.ts';
import type { EmuResponse, Handler, HandlerContext } from '../../kernel/exchange.ts';
import { json } from '../respond.ts';
import { resumeSandbox, type E2bSandbox, type E2bState } from './e2b-state.ts';
import { accessRefusal, signedBy, type FileOperation } from './envd-access.ts';

/** The keep-alive interval a client asks envd for, in seconds (the SDK sends 50); none when absent. */
export function keepaliveMs(ctx: HandlerContext): number | undefined {
  const seconds = Number(ctx.headers['keepalive-ping-interval']);
  return Number.isFinite(seconds) && seconds > 0 ? seconds * 1000 : undefined;
}

export interface InSandboxOptions {
  /** A `/files` route: a signature in the query may stand for the access token. */
  files?: FileOperation;
  /** A route envd lets through without the token (`GET /health`). */
  open?: boolean;
}

/**
 * A handler of envd's, given the sandbox the request is for. With the SDK's `sandboxUrl`, and on
 * E2B's shared `sandbox.e2b.app`, every sandbox shares one base URL and the `E2b-Sandbox-Id`
 * header names it; on a sandbox's own host (`49983-<id>.e2b.app`) the host does, when the
 * header is absent. A signed /files URL with neither (the SDK's downloadUrl given `sandboxUrl`)
 * is its signer's. E2B's proxy answers 502 for one that does not run, before envd sees it; envd
 * then checks a secure sandbox's access token (envd-access.ts).
 */
export function inSandbox(state: E2bState, handle: (ctx: HandlerContext, sandbox: E2bSandbox) => EmuResponse | Promise<EmuResponse>, options: InSandboxOptions = {}): Handler {
  return (ctx) => {
    const named = ctx.headers['e2b-sandbox-id'] ?? ctx.vars.sandbox;
    const sandbox = named !== undefined ? state.registry.get(named) : options.files ? signedBy(state.registry.list(), ctx, options.files) : undefined;
    // Traffic resumes a paused sandbox made with autoResume, as E2B's proxy does.
    if (sandbox?.data.paused && sandbox.data.lifecycle.autoResume) resumeSandbox(state, sandbox, sandbox.data.lifecycle.resumeSeconds);
    // A paused sandbox is no machine the proxy can reach, as one that is gone.
    if (!sandbox || sandbox.data.paused) {
      // Ours, beside the proxy's words: a URL that named no sandbox cannot be told from one gone.
      const why: Record<string, string> = !sandbox && named === undefined ? { [REASON_HEADER]: 'No E2b-Sandbox-Id header or sandbox host named a sandbox, and no secure sandbox signed this URL.' } : {};
      return json(502, { code: 502, message: 'The sandbox was not found', sandboxId: named ?? sandbox?.id ?? '' }, why);
    }
    // The proxy finds the sandbox first; envd then checks its access token.
    const refusal = options.open ? undefined : accessRefusal(ctx, sandbox, options.files, state.now());
    return refusal ?? handle(ctx, sandbox);
  };
}
