import type { EmuResponse } from '../../kernel/exchange.ts';
import { json } from '../respond.ts';

/**
 * Tensorlake's error envelope, `{error, code?}` as JSON. `code` is left out when there is none,
 * as the daemon does for several errors (e.g. "Process 42 is not running").
 */
export function errorResponse(status: number, error: string, code?: string, headers: Record<string, string> = {}): EmuResponse {
  return json(status, code === undefined ? { error } : { error, code }, headers);
}

/** 404 for a pid or managed-process name the sandbox does not know. */
export function processNotFound(ref: string): EmuResponse {
  return errorResponse(404, `Process ${ref} not found`, 'NOT_FOUND');
}
