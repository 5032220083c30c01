import type { EmuResponse } from '../../kernel/exchange.ts';
import type { Frame } from '../../kernel/frames.ts';
import { json, stream } from '../respond.ts';

/** The real server stamps every answer with its build; the emulator says what it is instead. */
export const SERVER_VERSION = 'sandbox-emulator';
const VERSION_HEADER = { 'x-agentbox-server-version': SERVER_VERSION } as const;

/** A JSON answer with the header every AgentBox response carries. */
export function reply(status: number, value: unknown, headers: Record<string, string> = {}): EmuResponse {
  return json(status, value, { ...VERSION_HEADER, ...headers });
}

/**
 * AgentBox's error envelope `{error, errorCode?, detail?}`. The native API never sets `errorCode`
 * on the operations the emulator serves, so only `detail` is offered.
 */
export function failure(status: number, error: string, detail?: unknown, headers: Record<string, string> = {}): EmuResponse {
  return reply(status, detail === undefined ? { error } : { error, detail }, headers);
}

/** An NDJSON stream; the status is always 200 because the server flushes headers first. */
export function ndjson(frames: AsyncIterable<Frame>): EmuResponse {
  return stream(200, 'application/x-ndjson', frames, { ...VERSION_HEADER });
}

/** The namespace every caller gets: dev mode and the admin key both land in `default`. */
export const NAMESPACE = 'default';

export function notFoundMessage(sandboxId: string): string {
  return `sandbox ${NAMESPACE}/${sandboxId} not found or already terminated`;
}
