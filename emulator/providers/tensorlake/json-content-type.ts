import type { EmuResponse, HandlerContext } from '../../kernel/exchange.ts';
import { errorResponse } from './error-response.ts';

const JSON_TYPE = /^application\/([\w.+-]*\+)?json\s*(;|$)/i;

/**
 * The daemon's JSON extractor refuses a body without `Content-Type: application/json` with 415
 * (documented for start, run and signal). The SDKs always send it; curl's `-d` does not.
 */
export function unsupportedMediaType(ctx: HandlerContext): EmuResponse | undefined {
  if (JSON_TYPE.test(ctx.headers['content-type'] ?? '')) return undefined;
  // axum's text, and no code: the framework answers before the daemon's own error type.
  return errorResponse(415, 'Expected request with `Content-Type: application/json`');
}
