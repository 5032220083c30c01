import type { Dialect } from '../../kernel/dialect.ts';
import { json } from '../respond.ts';

/** E2B's API error: `{ code, message }`, the code being the HTTP status again. */
export function apiError(status: number, message: string): ReturnType<typeof json> {
  return json(status, { code: status, message });
}

/** A sandbox the API does not know, in the words the SDK reads (`code: 404`). */
export function noSuchSandbox(sandboxId: string): ReturnType<typeof json> {
  return apiError(404, `sandbox "${sandboxId}" doesn't exist or you don't have access to it`);
}

export function apiDialect(): Dialect {
  return {
    notFound: (method, path) => apiError(404, `Failed to route ${method} ${path}: no such endpoint in the E2B API.`),
    methodNotAllowed: (method, path, allowed) => apiError(405, `Failed to route ${method} ${path}: use ${allowed.join(', ')}.`),
    invalidRequest: (_match, issues) => apiError(400, `Error when parsing request: ${issues.map((i) => `${i.location}: ${i.message}`).join('; ')}`),
    unauthorized: () => apiError(401, 'Invalid API key, please visit https://e2b.dev/docs to get your API key.'),
    internalError: (_match, message) => apiError(500, message),
  };
}

/** A Connect error as envd's (connect-go) server words it: a status, and `{ code, message }`. */
export function connectError(status: number, code: string, message: string): ReturnType<typeof json> {
  return json(status, { code, message });
}

/** envd's REST routes (`/files`) answer its REST error, `{ code, message }` with the status again; its procedures a Connect error. */
const REST_OPERATIONS = new Set(['filesDownload', 'filesUpload', 'health']);

export function envdDialect(): Dialect {
  const answer = (match: { operationId: string } | undefined, status: number, code: string, message: string) =>
    match && REST_OPERATIONS.has(match.operationId) ? json(status, { code: status, message }) : connectError(status, code, message);
  return {
    // connect-go answers a procedure it does not serve with 404, code unimplemented.
    notFound: (method, path) => connectError(404, 'unimplemented', `${method} ${path} is not a procedure of envd`),
    methodNotAllowed: (method, path) => connectError(405, 'unimplemented', `${method} ${path}: procedures take POST`),
    invalidRequest: (match, issues, kind) =>
      answer(match, 400, 'invalid_argument', kind === 'malformed' ? `unmarshal message: ${issues[0]?.message ?? 'not JSON'}` : issues.map((i) => `${i.location}: ${i.message}`).join('; ')),
    unauthorized: (match) => answer(match, 401, 'unauthenticated', 'invalid access token'),
    internalError: (match, message) => answer(match, 500, 'internal', message),
  };
}
