import type { Dialect } from '../kernel/dialect.ts';
import type { EmuRequest, EmuResponse, Handler, UrlBuilder } from '../kernel/exchange.ts';
import { isBatch, type StreamItem } from '../kernel/frames.ts';
import type { ResponseValidator, ResponseViolation } from './response-validator.ts';
import type { MatchedOperation, SpecRouter } from './spec-router.ts';
import { firstInvalidUtf8 } from './utf8.ts';
import type { ValidationIssue } from '../kernel/dialect.ts';

export interface Mount {
  /** e.g. 'blaxel-sandbox'; transports map URLs to it. */
  id: string;
  provider: string;
  router: SpecRouter;
  validator: ResponseValidator;
  dialect: Dialect;
  handlers: Record<string, Handler>;
  /** True when the request carries the provider's credential for `token`. */
  authenticate?(headers: Record<string, string>, token: string): boolean;
}

export interface DispatchOptions {
  vars: Record<string, string>;
  urlFor: UrlBuilder;
  /** When set, operations that declare security need the provider's credential for it. */
  token?: string;
  /** Strict: a response that breaks the spec is replaced by a loud 500 (the default in tests). */
  strict: boolean;
  onViolation: (violation: ResponseViolation) => void;
}

const JSON_TYPE = /^application\/([\w.+-]*\+)?json\b/i;

/**
 * The request pipeline: route, authenticate, parse, validate, handle, validate the answer.
 * Each stage answers in the provider's dialect, so a client never sees a generic error.
 */
export async function dispatch(mount: Mount, request: EmuRequest, options: DispatchOptions): Promise<EmuResponse> {
  const pathOnly = request.path;
  const route = mount.router.route(request.method, pathOnly);
  if (route.kind === 'not-found') return mount.dialect.notFound(request.method, pathOnly);
  if (route.kind === 'method-not-allowed') return mount.dialect.methodNotAllowed(request.method, pathOnly, route.allowed);
  const match = route.match;

  if (options.token !== undefined && needsCredential(mount, match) && !mount.authenticate?.(request.headers, options.token)) {
    return checked(mount, match, mount.dialect.unauthorized(match), options);
  }

  const bodyType = requestBodyType(match, request.headers['content-type']);
  let body: unknown;
  if (request.body.length > 0 && bodyType === 'json') {
    const text = request.body.toString('utf8');
    const invalidUtf8At = mount.dialect.utf8 === 'refuse' ? firstInvalidUtf8(request.body) : -1;
    if (invalidUtf8At >= 0) {
      const issue = { location: 'body', message: `the body is not UTF-8 (byte ${invalidUtf8At})`, received: text, invalidUtf8At, receivedBytes: request.body };
      return checked(mount, match, mount.dialect.invalidRequest(match, [issue], 'malformed'), options);
    }
    try {
      body = JSON.parse(text);
    } catch (error) {
      const issue = { location: 'body', message: `the body is not valid JSON (${(error as Error).message})`, received: text };
      return checked(mount, match, mount.dialect.invalidRequest(match, [issue], 'malformed'), options);
    }
  }
  const issues = mount.router
    .validate(match, {
      method: request.method,
      path: pathOnly,
      query: Object.fromEntries(request.query),
      headers: request.headers,
      body: bodyType === 'json' ? body : undefined,
    })
    // Raw bodies (stdin bytes, a multipart upload) are not JSON; their schema only says "binary".
    .filter((issue) => bodyType === 'json' || !issue.location.startsWith('body'));
  if (issues.length > 0) return checked(mount, match, mount.dialect.invalidRequest(match, issues, 'schema'), options);

  const handler = mount.handlers[match.operationId];
  if (!handler) {
    return checked(mount, match, mount.dialect.internalError(match, `no handler for operation ${match.operationId}`), options);
  }
  let response: EmuResponse;
  try {
    response = await handler({
      operationId: match.operationId,
      params: match.params,
      query: request.query,
      headers: request.headers,
      body,
      rawBody: request.body,
      bodyStream: request.bodyStream ?? oneChunk(request.body),
      // Read when the handler reads it: a transport may build the signal only on demand.
      get signal() {
        return request.signal;
      },
      vars: options.vars,
      urlFor: options.urlFor,
    });
  } catch (error) {
    response = mount.dialect.internalError(match, (error as Error).message);
  }
  return checked(mount, match, response, options);
}

function needsCredential(mount: Mount, match: MatchedOperation): boolean {
  const security = match.operation.security ?? mount.router.spec.document.security ?? [];
  // `security: []`, or a requirement list holding `{}`, means anonymous access is allowed.
  return security.length > 0 && !security.some((req) => Object.keys(req).length === 0);
}

/**
 * True when the operation takes its body as a stream: its document marks the request body
 * `x-stream: true` (a file upload of any size). A transport then hands the body over unread, as
 * `bodyStream`, instead of reading it into memory under its body limit first.
 */
export function streamsRequestBody(match: MatchedOperation): boolean {
  return match.operation.requestBody?.['x-stream'] === true;
}

async function* oneChunk(body: Buffer): AsyncGenerator<Uint8Array> {
  if (body.length > 0) yield body;
}

/**
 * How the body is read: as JSON when the operation takes JSON, unless the request says it sent
 * another media type the operation also declares (a multipart upload beside a JSON form, as
 * Blaxel's PUT /filesystem/{path} takes both).
 */
function requestBodyType(match: MatchedOperation, contentType: string | undefined): 'json' | 'raw' | 'none' {
  const content = match.operation.requestBody?.content;
  if (!content) return 'none';
  const types = Object.keys(content);
  const sent = contentType?.split(';')[0].trim().toLowerCase();
  const declared = sent ? types.find((t) => t.toLowerCase() === sent) : undefined;
  if (declared && !JSON_TYPE.test(sent!)) return 'raw';
  // A `+json` type whose schema says bytes is framed JSON, not JSON: Connect's enveloped
  // messages (application/connect+json) are read by the handler.
  const schema = declared ? (content[declared].schema as { type?: string; format?: string } | undefined) : undefined;
  if (schema?.type === 'string' && schema.format === 'binary') return 'raw';
  return types.some((t) => JSON_TYPE.test(t)) ? 'json' : 'raw';
}

/** Validates the answer; in strict mode a violation turns it into a loud 500. */
function checked(mount: Mount, match: MatchedOperation, response: EmuResponse, options: DispatchOptions): EmuResponse {
  const mediaType = response.headers['content-type'];
  const body = response.body;
  if (body?.kind === 'stream') {
    const head = mount.validator.validate(match.operationId, response.status, mediaType, undefined, false);
    const declared = mount.validator.mediaTypes(match.operationId, response.status);
    const type = (mediaType ?? '').split(';')[0].trim().toLowerCase();
    if (!declared.includes(type)) {
      head.push({ operationId: match.operationId, status: response.status, mediaType, message: `media type '${type}' is not declared for a stream of ${match.operationId} ${response.status}` });
    }
    if (head.length > 0) return violated(mount, match, response, head, options);
    return { ...response, body: { kind: 'stream', frames: checkedFrames(mount, match, response.status, type, body.frames, options) } };
  }
  const value = body?.kind === 'json' ? body.value : body?.kind === 'text' ? body.value : undefined;
  const violations = mount.validator.validate(match.operationId, response.status, mediaType, value, body !== undefined && body.kind !== 'bytes');
  return violations.length > 0 ? violated(mount, match, response, violations, options) : response;
}

function violated(mount: Mount, match: MatchedOperation, response: EmuResponse, violations: ResponseViolation[], options: DispatchOptions): EmuResponse {
  for (const v of violations) options.onViolation(v);
  if (!options.strict) return response;
  const summary = violations.map((v) => v.message).join('; ');
  return mount.dialect.internalError(match, `Response validation failed for ${match.operationId} ${response.status}: ${summary}`);
}

async function* checkedFrames(
  mount: Mount,
  match: MatchedOperation,
  status: number,
  mediaType: string,
  frames: AsyncIterable<StreamItem>,
  options: DispatchOptions,
): AsyncGenerator<StreamItem> {
  // Looked up once per stream, not per frame: a follow sends a frame per line.
  const check = mount.validator.valueChecker(match.operationId, status, mediaType);
  const report = (violations: ResponseViolation[]) => {
    for (const v of violations) options.onViolation({ ...v, message: `stream frame: ${v.message}` });
  };
  for await (const item of frames) {
    if (isBatch(item)) {
      // Every frame of a batch is checked, or one for all when they differ only where the schema
      // cannot tell them apart. In strict mode the frames before a bad one still go.
      const judged = item.varies && mount.validator.blindToStringAt(match.operationId, status, mediaType, item.varies) ? 1 : item.count;
      for (let i = 0; i < judged; i++) {
        const violations = check(item.payload(i));
        if (violations.length === 0) continue;
        report(violations);
        if (!options.strict) continue;
        if (i > 0) yield { count: i, data: item.head(i), head: (n) => item.head(n), payload: (k) => item.payload(k) };
        return;
      }
    } else if (item.payload !== undefined) {
      const violations = check(item.payload);
      if (violations.length > 0) {
        report(violations);
        // Headers are gone already; in strict mode the stream stops at the bad frame so the
        // client sees a cut, and the violation is on record for the test to fail on.
        if (options.strict) return;
      }
    }
    yield item;
  }
}
