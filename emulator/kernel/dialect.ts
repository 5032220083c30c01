import type { EmuResponse } from './exchange.ts';

/**
 * The operation a request reached, as a dialect needs it: the router's match, seen without the
 * OpenAPI layer's own types (the router's MatchedOperation is one of these).
 */
export interface OperationMatch {
  operationId: string;
  method: string;
  /** The path template, e.g. `/process/{identifier}`. */
  path: string;
  /** Path parameters as they appear in the URL (decoded, not coerced). */
  params: Record<string, string>;
  /** The operation's declared answers, by status ('200', '4XX', 'default'). */
  operation: { responses?: Record<string, unknown> };
}

export interface ValidationIssue {
  /** Where the fault is: `body.command`, `query.lines`, `path.pid`, `header.content-type`. */
  location: string;
  message: string;
  /** For a body that is not JSON: its text, for a dialect to word the fault as its server does. */
  received?: string;
  /** For a JSON body whose bytes are not UTF-8 (see Dialect.utf8): the offset of the first bad byte, and the bytes. */
  invalidUtf8At?: number;
  receivedBytes?: Uint8Array;
}

/** How a provider words the answers the pipeline itself gives, before or around its handlers. */
export interface Dialect {
  /**
   * What the provider's JSON decoder does with bytes that are not UTF-8: Go's encoding/json
   * replaces them with U+FFFD and goes on ('replace', the default); Rust's serde_json refuses
   * the body ('refuse'), which the pipeline then hands to invalidRequest as malformed.
   */
  readonly utf8?: 'replace' | 'refuse';
  notFound(method: string, path: string): EmuResponse;
  methodNotAllowed(method: string, path: string, allowed: string[]): EmuResponse;
  /** kind: the body is not JSON at all, or it is JSON that the schema refuses. */
  invalidRequest(match: OperationMatch, issues: ValidationIssue[], kind: 'malformed' | 'schema'): EmuResponse;
  unauthorized(match: OperationMatch): EmuResponse;
  internalError(match: OperationMatch | undefined, message: string): EmuResponse;
}
