import type { EmuResponse, Handler, HandlerContext } from '../../kernel/exchange.ts';
import { json } from '../respond.ts';
import type { E2bSandbox, E2bState } from './e2b-state.ts';

/**
 * A handler of envd's, given the sandbox the request is for. With the SDK's `sandboxUrl`, and on
 * E2B's shared `sandbox.e2b.app`, every sandbox shares one base URL and the `E2b-Sandbox-Id`
 * header names it; on a sandbox's own host (`49983-<id>.e2b.app`) the host does, when the
 * header is absent. E2B's proxy answers 502 for one that does not run, before envd sees it.
 */
/** The keep-alive interval a client asks envd for, in seconds (the SDK sends 50); none when absent. */
export function keepaliveMs(ctx: HandlerContext): number | undefined {
  const seconds = Number(ctx.headers['keepalive-ping-interval']);
  return Number.isFinite(seconds) && seconds > 0 ? seconds * 1000 : undefined;
}

export function inSandbox(state: E2bState, handle: (ctx: HandlerContext, sandbox: E2bSandbox) => EmuResponse | Promise<EmuResponse>): Handler {
  return (ctx) => {
    const id = ctx.headers['e2b-sandbox-id'] ?? ctx.vars.sandbox ?? '';
    const sandbox = state.registry.get(id);
    return sandbox ? handle(ctx, sandbox) : json(502, { code: 502, message: 'The sandbox was not found', sandboxId: id });
  };
}
