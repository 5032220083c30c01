import type { Dialect, OperationMatch } from '../../kernel/dialect.ts';
import type { ValidationIssue } from '../../kernel/dialect.ts';
import type { ApiKeyAuth } from './api-key-auth.ts';
import { failure } from './reply.ts';

/**
 * How AgentBox words the answers the pipeline gives around its handlers: everything is the
 * `{error, errorCode?, detail?}` envelope, authentication failures carry `error` alone.
 */
export function agentBoxDialect(auth: ApiKeyAuth): Dialect {
  return {
    notFound: (method, path) =>
      failure(404, `Failed to route ${method} ${path}: AgentBox serves no such path. The API lives below /v1 (e.g. GET /v1/sandboxes) and the probe at /ping.`),
    methodNotAllowed: (method, path, allowed) =>
      failure(405, `Failed to route ${method} ${path}: the method is not allowed there. Use ${allowed.join(' or ')}.`, undefined, { allow: allowed.join(', ') }),
    invalidRequest: (match, issues, kind) => failure(400, invalidRequestMessage(match, issues, kind)),
    unauthorized: () => failure(401, auth.lastFailure),
    internalError: (_match, message) => failure(500, message),
  };
}

/**
 * The server's own words where it has them (`poolName is required`), otherwise what the
 * validator found, said once per parameter or body field.
 */
export function invalidRequestMessage(match: OperationMatch, issues: ValidationIssue[], kind: 'malformed' | 'schema'): string {
  if (kind === 'malformed') return `invalid request body: ${issues.map((i) => i.message).join('; ')}`;
  for (const issue of issues) {
    if (issue.message === 'the request has no body') return 'invalid request body: a JSON body is required';
    const missing = /missing required property '([^']+)'/.exec(issue.message);
    // The handlers say the same for a blank value, so a missing and an empty field read alike.
    if (missing && issue.location === 'body') return `${missing[1]} is required`;
  }
  const body = issues.filter((i) => i.location === 'body' || i.location.startsWith('body.'));
  if (body.length > 0) return `invalid request body: ${body.map((i) => i.message).join('; ')}`;
  const first = issues[0];
  if (!first) return `invalid request to ${match.operationId}`;
  const [where, ...name] = first.location.split('.');
  const parameter = name.join('.') || where;
  return `Invalid format for parameter ${parameter}: ${issues
    .filter((i) => i.location === first.location)
    .map((i) => i.message)
    .join('; ')}`;
}
