import type { Dialect, OperationMatch } from '../../kernel/dialect.ts';
import type { EmuResponse } from '../../kernel/exchange.ts';
import type { ValidationIssue } from '../../kernel/dialect.ts';
import { json } from '../respond.ts';
import { ginEmpty, ginError, ginText } from './gin-response.ts';
import { goJsonError } from './go-json-error.ts';

/** What the edge gateway says when the credential is missing or wrong. */
export const UNAUTHORIZED_MESSAGE = 'missing or invalid credentials';

/** The message gin's validator gives for a missing or empty `command` (binding:"required"). */
export const MISSING_COMMAND = "Key: 'ProcessRequest.Command' Error:Field validation for 'Command' failed on the 'required' tag";

/**
 * The sandbox-api (gin) dialect. Its CORS middleware answers every OPTIONS before routing,
 * HEAD on the GET routes always answers 200, and gin's own fallback for anything else is a
 * plain-text 404 (method-not-allowed handling is off in gin by default).
 */
export const blaxelSandboxDialect: Dialect = {
  notFound(method) {
    if (method === 'OPTIONS') return ginEmpty(204);
    return ginText(404, '404 page not found');
  },
  methodNotAllowed(method, _path, allowed) {
    if (method === 'OPTIONS') return ginEmpty(204);
    if (method === 'HEAD' && allowed.includes('GET')) return ginEmpty(200);
    return ginText(404, '404 page not found');
  },
  invalidRequest(match, issues, kind) {
    return ginError(firstDeclared(match, [400, 422]), `invalid request body: ${describeIssues(issues, kind)}`);
  },
  unauthorized() {
    return ginError(401, UNAUTHORIZED_MESSAGE);
  },
  internalError(_match, message) {
    return ginError(500, message);
  },
};

/** The control plane answers plain JSON `{error, code?}`. */
export const blaxelControlDialect: Dialect = {
  notFound(method, path) {
    return controlError(404, `no route for ${method} ${path}`, 'NOT_FOUND');
  },
  methodNotAllowed(method, path, allowed) {
    return controlError(405, `${method} is not allowed on ${path} (allowed: ${allowed.join(', ')})`, 'METHOD_NOT_ALLOWED');
  },
  invalidRequest(match, issues, kind) {
    return controlError(firstDeclared(match, [400, 422]), `invalid request: ${describeIssues(issues, kind)}`, 'INVALID_REQUEST');
  },
  unauthorized() {
    return controlError(401, UNAUTHORIZED_MESSAGE);
  },
  internalError(_match, message) {
    return controlError(500, message);
  },
};

export function controlError(status: number, message: string, code?: string): EmuResponse {
  return json(status, code ? { error: message, code } : { error: message });
}

/**
 * Words a request fault the way the Go server does where we know its text (a body that is not
 * JSON, a missing command, an empty body), and plainly otherwise.
 */
function describeIssues(issues: ValidationIssue[], kind: 'malformed' | 'schema'): string {
  const received = issues.find((i) => i.received !== undefined)?.received;
  if (kind === 'malformed' && received !== undefined) return goJsonError(received);
  if (kind === 'schema') {
    if (issues.some((i) => i.location === 'body' && /'command'/.test(i.message))) return MISSING_COMMAND;
    // No body at all: Go's JSON decoder reads end-of-file first.
    if (issues.some((i) => i.message === 'the request has no body')) return 'EOF';
  }
  // The router's messages already name the field ("'timeout' must be integer").
  return issues.map((i) => i.message).join('; ');
}

/** The first of the wanted statuses the operation declares, so the answer stays in the document. */
function firstDeclared(match: OperationMatch, wanted: number[]): number {
  const declared = Object.keys(match.operation.responses ?? {});
  return wanted.find((s) => declared.includes(String(s))) ?? wanted[0];
}
