import type { Mount } from '../../openapi/pipeline.ts';
import type { SpecRouter } from '../../openapi/spec-router.ts';
import type { ValidationIssue } from '../../kernel/dialect.ts';
import type { AgentBoxQuirk, QuirkCheck } from './quirks.ts';

/** A documented bound the server does not enforce, and the quirk that lets it through. */
interface UncheckedBound {
  quirk: AgentBoxQuirk;
  operationId: string;
  location: string;
}

const UNCHECKED_BOUNDS: readonly UncheckedBound[] = [
  { quirk: 'exec-timeout-clamped', operationId: 'ExecSandboxCommand', location: 'body.timeoutSeconds' },
  { quirk: 'logs-lines-bounds-not-enforced', operationId: 'GetSandboxLogs', location: 'query.lines' },
  { quirk: 'list-limit-clamped-to-100', operationId: 'ListSandboxes', location: 'query.limit' },
];

/** The validator's words for a minimum or maximum that was crossed (ajv: "must be >= 1"). */
const BOUND_MESSAGE = /must be [<>]=? -?\d/;

/**
 * The router of a mount, except that the bounds the provider documents but never checks are let
 * through when their quirk is on. The pipeline validates a request before any handler runs, so
 * a quirk that accepts what the document refuses has to act here; the handler then does what the
 * server does with the value (clamp it, or read a negative `lines` as "everything").
 */
export function relaxValidation(router: SpecRouter, quirk: QuirkCheck): Mount['router'] {
  const active = UNCHECKED_BOUNDS.filter((b) => quirk(b.quirk));
  if (active.length === 0) return router;
  const relaxed = Object.create(router) as SpecRouter;
  relaxed.validate = (match, request) =>
    router
      .validate(match, request)
      .filter((issue: ValidationIssue) => !active.some((b) => b.operationId === match.operationId && b.location === issue.location && BOUND_MESSAGE.test(issue.message)));
  return relaxed;
}
