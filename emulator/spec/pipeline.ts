import type { ResponseValidator, ResponseViolation } from './response-validator.ts';
import type { MatchedOperation, SpecRouter, ValidationIssue } from './spec-router.ts';

/** A request as every transport hands it over: HTTP server and msw alike. */
export interface EmuRequest {
  method: string;
  /** Path below the mount, starting with '/', still percent-encoded. */
  path: string;
  query: URLSearchParams;
  /** Header names in lower case. */
  headers: Record<string, string>;
  body: Buffer;
  /**
   * The body as it arrives, not read yet, for an operation that streams its body (see
   * `streamsRequestBody`); `body` is then empty. A transport that holds the body whole
   * already (msw) leaves it unset.
   */
  bodyStream?: AsyncIterable<Uint8Array>;
  /** Aborts when the client goes away; streams stop following then. */
  signal: AbortSignal;
}

/** One frame of a streamed answer: the bytes to send, and the payload the spec describes. */
export interface Frame {
  data: string | Uint8Array;
  /** Checked against the stream's frame schema; undefined when the frame has no payload. */
  payload?: unknown;
}

/**
 * Several frames of a stream at once: the lines of one output chunk. A process writing fast
 * completes hundreds of lines per read, and one item per line cost a trip through every async
 * layer (provider, check, transport) per line. A batch travels as one item and is rendered in
 * one go, while checks and cuts still count its frames one by one.
 */
export interface FrameBatch {
  /** How many frames the batch holds; at least one. */
  readonly count: number;
  /** The bytes of all its frames, in order. */
  readonly data: string;
  /** The bytes of the first n frames, for a cut that falls inside the batch. */
  head(n: number): string;
  /** The payload of frame i (0 <= i < count), built when the check asks for it. */
  payload(i: number): unknown;
  /**
   * Where the payloads differ, when they differ only in one string: its path of property names
   * ([] for a payload that is itself the string). When the frame schema cannot tell one string
   * from another there, the check judges one frame for all.
   */
  readonly varies?: readonly string[];
}

/** What a stream yields: a frame, or a batch of them. */
export type StreamItem = Frame | FrameBatch;

export function isBatch(item: StreamItem): item is FrameBatch {
  return 'count' in item;
}

/** How many frames an item holds: what a cut counts. */
export function framesIn(item: StreamItem): number {
  return isBatch(item) ? item.count : 1;
}

/** The bytes of the first n frames of an item (n >= framesIn(item) gives them all). */
export function headOf(item: StreamItem, n: number): string | Uint8Array {
  if (!isBatch(item)) return item.data;
  return n >= item.count ? item.data : item.head(n);
}

export type EmuBody =
  | { kind: 'json'; value: unknown }
  | { kind: 'text'; value: string }
  | { kind: 'bytes'; value: Uint8Array }
  | { kind: 'stream'; frames: AsyncIterable<StreamItem> };

export interface EmuResponse {
  status: number;
  headers: Record<string, string>;
  body?: EmuBody;
  /**
   * A transport-level fault to act out (see faults): drop the connection before answering, or
   * cut a stream after some frames. Transports honour it; the body is ignored for a reset.
   */
  fault?: { kind: 'reset' } | { kind: 'cut'; afterFrames: number };
}

/** Builds the base URL of another mount, as the transport serving this request reaches it. */
export type UrlBuilder = (mountId: string, vars: Record<string, string>) => string;

export interface HandlerContext {
  operationId: string;
  /** Path parameters, decoded. */
  params: Record<string, string>;
  query: URLSearchParams;
  headers: Record<string, string>;
  /** The parsed JSON body, when the request had one. */
  body: unknown;
  rawBody: Buffer;
  /**
   * The body as chunks: as it arrives for an operation that streams its body, else `rawBody`
   * in one chunk. A handler that stores bytes (a file upload) reads this, so it works on any
   * transport without holding a large body in memory where the transport streams it.
   */
  bodyStream: AsyncIterable<Uint8Array>;
  signal: AbortSignal;
  /** Variables of the mount prefix, e.g. { sandbox: 'my-box' } for /blaxel/sandboxes/my-box. */
  vars: Record<string, string>;
  urlFor: UrlBuilder;
}

export type Handler = (ctx: HandlerContext) => EmuResponse | Promise<EmuResponse>;

/** How a provider words the answers the pipeline itself gives, before or around its handlers. */
export interface Dialect {
  notFound(method: string, path: string): EmuResponse;
  methodNotAllowed(method: string, path: string, allowed: string[]): EmuResponse;
  /** kind: the body is not JSON at all, or it is JSON that the schema refuses. */
  invalidRequest(match: MatchedOperation, issues: ValidationIssue[], kind: 'malformed' | 'schema'): EmuResponse;
  unauthorized(match: MatchedOperation): EmuResponse;
  internalError(match: MatchedOperation | undefined, message: string): EmuResponse;
}

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
    try {
      body = JSON.parse(request.body.toString('utf8'));
    } catch (error) {
      const issue = { location: 'body', message: `the body is not valid JSON (${(error as Error).message})` };
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
  if (sent && !JSON_TYPE.test(sent) && types.some((t) => t.toLowerCase() === sent)) return 'raw';
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
