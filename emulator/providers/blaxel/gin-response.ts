import type { EmuResponse } from '../../kernel/exchange.ts';
import type { Frame } from '../../kernel/frames.ts';
import { empty, json, stream, text } from '../respond.ts';

/**
 * Headers the sandbox-api's middleware puts on every answer (CORS and no-cache), so a caching
 * proxy sees what it would see in front of the real server. All but one: the real server says
 * `Access-Control-Allow-Origin: *`, which on a developer's machine would let any web page read
 * what its commands print. The HTTP transport names an origin the user allowed instead.
 */
export const GIN_HEADERS: Readonly<Record<string, string>> = {
  'access-control-allow-methods': 'GET, POST, PUT, DELETE, HEAD, OPTIONS',
  'access-control-allow-headers': 'Content-Type, Authorization',
  'cache-control': 'no-cache, no-store, must-revalidate',
  pragma: 'no-cache',
  expires: '0',
  'x-content-type-options': 'nosniff',
};

const GIN_JSON_HEADERS: Readonly<Record<string, string>> = { ...GIN_HEADERS, 'content-type': 'application/json; charset=utf-8' };

/** gin's c.JSON: the charset is part of the content type. */
export function ginJson(status: number, value: unknown): EmuResponse {
  // json() copies the headers into the answer; the shared object itself is never handed out.
  return json(status, value, GIN_JSON_HEADERS);
}

/** Every error of every route is `{error}`. */
export function ginError(status: number, message: string): EmuResponse {
  return ginJson(status, { error: message });
}

export function ginText(status: number, body: string): EmuResponse {
  return text(status, body, 'text/plain; charset=utf-8', GIN_HEADERS);
}

export function ginEmpty(status: number): EmuResponse {
  return empty(status, { ...GIN_HEADERS });
}

/** A streamed answer; the stream handlers set their own Cache-Control after the middleware's. */
export function ginStream(contentType: string, frames: AsyncIterable<Frame>): EmuResponse {
  return stream(200, contentType, frames, { ...GIN_HEADERS, 'cache-control': 'no-cache' });
}
