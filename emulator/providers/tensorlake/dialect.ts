import type { Dialect, OperationMatch } from '../../kernel/dialect.ts';
import type { ValidationIssue } from '../../kernel/dialect.ts';
import { errorResponse } from './error-response.ts';
import { serdeJsonError, serdeUtf8Error } from './serde-json-error.ts';

/**
 * How Tensorlake words the answers the pipeline gives before or around the handlers: always the
 * `{error, code?}` JSON envelope, with a code only where the daemon gives one (the framework's
 * own refusals have none). (The old daemon's framework answered some of these in
 * text/plain; that is the `framework-errors-text-plain` quirk, which our document does not
 * allow, so it is not reproduced.)
 *
 * `surface` names the API in messages, so a client that mixed up its base URLs is told which
 * one it reached.
 */
export function tensorlakeDialect(surface: 'runtime' | 'lifecycle'): Dialect {
  const api = surface === 'runtime' ? 'the Tensorlake sandbox runtime API (/api/v1/processes...)' : 'the Tensorlake lifecycle API (/v1/namespaces/{namespace}/sandboxes...)';
  return {
    // serde_json reads bytes and refuses a string that is not UTF-8.
    utf8: 'refuse',
    notFound(method, path) {
      return errorResponse(404, `Failed to route ${method} ${path}: no such endpoint in ${api}. Check the path and the base URL.`, 'NOT_FOUND');
    },
    methodNotAllowed(method, path, allowed) {
      return errorResponse(405, `Failed to route ${method} ${path}: the method is not allowed here. Use ${allowed.join(', ')}.`, 'METHOD_NOT_ALLOWED', {
        allow: allowed.join(', '),
      });
    },
    invalidRequest(match, issues, kind) {
      // The daemon's framework (axum) words these, with no `code`: serde_json's message for a
      // body that is not JSON, its own prefix for a body of the wrong shape.
      const received = issues.find((i) => i.received !== undefined)?.received;
      const notUtf8 = issues.find((i) => i.invalidUtf8At !== undefined && i.receivedBytes !== undefined);
      if (notUtf8) return errorResponse(400, `Failed to parse the request body as JSON: ${serdeUtf8Error(notUtf8.receivedBytes!, notUtf8.invalidUtf8At!)}`);
      if (kind === 'malformed') {
        return errorResponse(400, `Failed to parse the request body as JSON: ${received !== undefined ? serdeJsonError(received) : reasons(issues)}`);
      }
      // The daemon answers a body of the wrong shape with 422; where an operation declares no
      // 422 (the lifecycle create), its documented 400 is the answer for every bad body.
      const status = declares(match, 422) ? 422 : 400;
      return errorResponse(status, `Failed to deserialize the JSON body into the target type: ${reasons(issues)}`);
    },
    unauthorized() {
      return errorResponse(401, 'Missing or invalid API key. Send `Authorization: Bearer <TENSORLAKE_API_KEY>`.', 'UNAUTHORIZED');
    },
    internalError(_match, message) {
      return errorResponse(500, `Failed to handle the request: ${message}`, 'INTERNAL_ERROR');
    },
  };
}

function declares(match: OperationMatch, status: number): boolean {
  return String(status) in (match.operation.responses ?? {});
}

function reasons(issues: ValidationIssue[]): string {
  const messages = issues.map((i) => i.message);
  return messages.join('; ') || 'the request is invalid';
}

/** True when the request carries `Authorization: Bearer <token>` (the scheme is case-insensitive). */
export function hasBearerToken(headers: Record<string, string>, token: string): boolean {
  const match = /^bearer\s+(.+)$/i.exec(headers.authorization?.trim() ?? '');
  return match !== null && match[1] === token;
}
