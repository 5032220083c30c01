import type { EmuResponse, HandlerContext } from '../../kernel/exchange.ts';
import { json } from '../respond.ts';
import type { E2bSandbox, E2bState } from './e2b-state.ts';

/**
 * The sandbox a request to envd is for. With the SDK's `sandboxUrl`, every sandbox shares one
 * base URL and the `E2b-Sandbox-Id` header names it; E2B's proxy answers 502 for one that does
 * not run, before envd sees the request.
 */
export function sandboxOf(state: E2bState, ctx: HandlerContext): E2bSandbox | EmuResponse {
  const id = ctx.headers['e2b-sandbox-id'] ?? '';
  const sandbox = state.registry.get(id);
  return sandbox ?? json(502, { code: 502, message: 'The sandbox was not found', sandboxId: id });
}

