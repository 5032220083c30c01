import type { OperationMatch, ValidationIssue } from '../kernel/dialect.ts';
import { OpenAPIBackend, type Document, type Operation } from 'openapi-backend';
import type { Ajv } from 'ajv';
import type { LoadedSpec } from './load-spec.ts';
import { downgradeTo30 } from './downgrade-to-30.ts';
import { RequestValidator } from './request-validator.ts';
import type { OpenAPIDocument, OperationObject } from './openapi-types.ts';

/** A request as the spec layer sees it: the path is relative to the document's paths. */
export interface SpecRequest {
  method: string;
  path: string;
  query: Record<string, string | string[]>;
  headers: Record<string, string>;
  /** Parsed JSON body, raw bytes for other media types, undefined when there is none. */
  body?: unknown;
}

/** The operation a request reached, with the OpenAPI layer's view of it. */
export interface MatchedOperation extends OperationMatch {
  operation: OperationObject;
}

export type RouteResult =
  | { kind: 'matched'; match: MatchedOperation }
  | { kind: 'not-found' }
  | { kind: 'method-not-allowed'; allowed: string[] };

export interface SpecRouterOptions {
  /** Keeps only the paths a mount serves, when one document holds several surfaces. */
  pathFilter?: (path: string) => boolean;
}

/** One path template of the document, compiled once. */
interface RouteEntry {
  template: string;
  /** openapi-backend's pattern (`{x}` -> `[^/]+`, literals escaped), with a group per parameter. */
  pattern: RegExp;
  /** The parameter names in the order of the pattern's groups. */
  names: string[];
  /**
   * True when the pattern's groups are exactly what openapi-backend's parameter parser (bath)
   * would capture: every name is `[A-Za-z0-9_-]+`, no literal part holds a regex metacharacter,
   * and no two parameters touch (`+` and bath's `*` would split them differently).
   * Otherwise params are parsed with bath's own (unescaped) pattern, as before.
   */
  simple: boolean;
  /** Source of bath's pattern; compiled per call, as bath does, so a template it chokes on fails where it always did. */
  bathSource: string;
  bathNames: string[];
  /** The operations of this template by lower-case method. */
  byMethod: Map<string, Operation>;
}

/**
 * Routes requests to the operations of one document and validates them, with openapi-backend.
 * The router never answers: it says what matched and what is wrong, and the provider turns that
 * into its own dialect.
 *
 * Routing reproduces openapi-backend's matchOperation, but from a table compiled once:
 * matchOperation rebuilds the operation list (twice) and compiles a RegExp per template on every
 * request, which was a sixth of the emulator's CPU under load.
 */
export class SpecRouter {
  private constructor(
    readonly spec: LoadedSpec,
    private readonly api: OpenAPIBackend,
    private readonly byId: Map<string, { method: string; path: string; operation: OperationObject }>,
    /** The operation openapi-backend validates a request of each id against. */
    private readonly forValidation: Map<string, Operation>,
    /** Every operation in openapi-backend's order (paths, then get, put, post, delete, ...). */
    private readonly operations: Operation[],
    /** Templates by literal length, longest first (stable): openapi-backend's specificity order. */
    private readonly table: RouteEntry[],
    /** Templates by their exact text: a path equal to a template wins before any pattern. */
    private readonly exact: Map<string, RouteEntry>,
    private readonly requests: RequestValidator,
  ) {}

  static async create(spec: LoadedSpec, options: SpecRouterOptions = {}): Promise<SpecRouter> {
    const filtered: OpenAPIDocument = {
      ...spec.document,
      paths: Object.fromEntries(
        Object.entries(spec.document.paths).filter(([path]) => !options.pathFilter || options.pathFilter(path)),
      ),
    };
    const definition = downgradeTo30(structuredClone(filtered));
    const api = new OpenAPIBackend({
      definition: definition as unknown as Document,
      // swagger-parser has validated the document already, so openapi-backend's own check of it
      // (about a second per document) is skipped, and validators compile on first use. Cold
      // start stays well under half a second; SpecRouter.create checks that routes exist.
      strict: false,
      validate: true,
      quick: true,
      ignoreTrailingSlashes: false,
      // validateSchema off: swagger-parser has checked the schemas, and checking them again
      // made ajv compile its meta-schema on the first request (50 ms of a cold start).
      ajvOpts: { strict: false, allErrors: true, validateSchema: false },
      customizeAjv: (ajv: Ajv) => {
        for (const format of ['int32', 'int64', 'float', 'double', 'byte', 'binary', 'password', 'date-time', 'date', 'uri', 'uuid', 'email']) {
          ajv.addFormat(format, true);
        }
        return ajv;
      },
    });
    await api.init();
    const operations = api.getOperations();
    const byId = new Map<string, { method: string; path: string; operation: OperationObject }>();
    const forValidation = new Map<string, Operation>();
    for (const op of operations) {
      if (op.operationId) byId.set(op.operationId, { method: op.method, path: op.path, operation: op as OperationObject });
      // openapi-backend's getOperation(id) takes the first operation with the id.
      if (op.operationId && !forValidation.has(op.operationId)) forValidation.set(op.operationId, op);
    }
    if (byId.size === 0) {
      throw new Error(`Failed to build a router for ${spec.file}: no operation with an operationId survived. Check the document's paths.`);
    }
    const exact = new Map<string, RouteEntry>();
    const entries: RouteEntry[] = [];
    for (const op of operations) {
      let entry = exact.get(op.path);
      if (!entry) {
        entry = compileTemplate(op.path, catchAllNames(filtered, op.path));
        exact.set(op.path, entry);
        entries.push(entry);
      }
      // openapi-backend takes the first operation of a method; a path item has one per method.
      if (!entry.byMethod.has(op.method)) entry.byMethod.set(op.method, op);
    }
    // Array.prototype.sort is stable, as lodash's orderBy is.
    const table = entries
      .map((entry, index) => ({ entry, index, weight: entry.template.replace(/\{.*?\}/g, '').length }))
      .sort((a, b) => b.weight - a.weight || a.index - b.index)
      .map(({ entry }) => entry);
    return new SpecRouter(spec, api, byId, forValidation, operations, table, exact, new RequestValidator(api));
  }

  get operationIds(): string[] {
    return [...this.byId.keys()];
  }

  operation(operationId: string): OperationObject | undefined {
    return this.byId.get(operationId)?.operation;
  }

  route(method: string, path: string): RouteResult {
    // openapi-backend's normalizeRequest and normalizePath (no apiRoot, trailing slashes kept).
    const wanted = method.trim().toLowerCase();
    let normalized = path.trim();
    if (!normalized.startsWith('/')) normalized = `/${normalized}`;
    normalized = normalized.split('?')[0].trim();
    const found = this.find(normalized, wanted);
    const operationId = found?.op.operationId;
    if (found && operationId) {
      const op = found.op;
      let params: Record<string, string>;
      try {
        params = paramsOf(found.entry, normalized, found.groups);
      } catch (error) {
        // A broken percent escape (%zz) names no resource: the provider's not-found answers, as
        // gin and axum do for a path they cannot decode.
        if (error instanceof URIError) return { kind: 'not-found' };
        throw error;
      }
      return {
        kind: 'matched',
        match: { operationId, method: op.method, path: op.path, operation: op as OperationObject, params },
      };
    }
    const allowed = this.operations
      .filter((candidate) => this.find(normalized, candidate.method)?.op.operationId === candidate.operationId)
      .map((candidate) => candidate.method.toUpperCase());
    return allowed.length > 0 ? { kind: 'method-not-allowed', allowed } : { kind: 'not-found' };
  }

  /** Checks path, query, header parameters and a JSON body against the operation. */
  validate(match: MatchedOperation, request: SpecRequest): ValidationIssue[] {
    const operation = this.forValidation.get(match.operationId);
    // An id the router does not know fails in openapi-backend, as it always did.
    if (!operation) return this.validateByBackend(match, request);
    const errors = this.requests.errors(
      operation,
      { query: request.query, headers: request.headers, body: encodedBody(request.body), params: this.pathParams(operation, request.path) },
      request.path,
      match.method,
    );
    const issues = issuesOf(errors);
    // A multipart body reaches the handler raw (often as a stream): the router never holds it,
    // so it cannot be missing here, as an octet-stream body never is for openapi-backend.
    if (request.body === undefined && sentRawMedia(match.operation, request.headers)) return issues.filter((i) => i.message !== 'the request has no body');
    return issues;
  }

  /**
   * `validate` through openapi-backend's own validateRequest, parse and all: the reference the
   * faster `validate` is tested against (request-validator.test.ts), and the way an operation
   * id the router does not know fails.
   */
  validateByBackend(match: MatchedOperation, request: SpecRequest): ValidationIssue[] {
    // The operation object, not its id: given an id, openapi-backend rebuilds its whole operation
    // list to find it, on every request. An id the router does not know still fails as before.
    const operation = this.forValidation.get(match.operationId) ?? match.operationId;
    const result = this.api.validateRequest(
      { method: match.method, path: request.path, query: request.query, headers: request.headers, body: encodedBody(request.body) },
      operation,
    );
    return result.valid ? [] : issuesOf(result.errors ?? []);
  }

  /**
   * The path parameters openapi-backend's parseRequest gets with bath from the operation it
   * validates against (the first of its id, which is the matched one unless ids repeat): a fresh
   * object each time, since validation coerces it in place.
   */
  private pathParams(operation: Operation, path: string): Record<string, string> {
    // normalizeRequest then normalizePath (no apiRoot, trailing slashes kept), as in route().
    let normalized = path.trim();
    if (!normalized.startsWith('/')) normalized = `/${normalized}`;
    normalized = normalized.split('?')[0].trim();
    const entry = this.exact.get(operation.path)!;
    return paramsOf(entry, normalized, entry.pattern.exec(normalized) ?? undefined);
  }

  /**
   * openapi-backend's matchOperation: an operation whose path is exactly the request's path,
   * then the first template (most literal characters first) that matches and has the method.
   */
  private find(path: string, method: string): { entry: RouteEntry; op: Operation; groups?: RegExpExecArray } | undefined {
    const exact = this.exact.get(path)?.byMethod.get(method);
    if (exact) return { entry: this.exact.get(path)!, op: exact };
    for (const entry of this.table) {
      const op = entry.byMethod.get(method);
      if (!op) continue;
      const groups = entry.pattern.exec(path);
      if (groups) return { entry, op, groups };
    }
    return undefined;
  }
}

const PARAM = /\{[^}]+\}/g;
const BATH_PARAM = /\{[A-Za-z0-9_-]+\}/g;
const REGEX_META = /[.*+?^${}()|[\]\\]/;

function escapeRegExp(literal: string): string {
  return literal.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * The path parameters of a template marked `x-catch-all: true` (on the path item or any of its
 * operations): each takes the rest of the path, slashes included, as gin's `*path` does. The
 * Blaxel filesystem routes need it: `/filesystem/{path}` is reached both as
 * `/filesystem/%2Fapp%2Fx` (the SDK's generated client) and as `/filesystem//app/x`.
 */
function catchAllNames(document: OpenAPIDocument, template: string): Set<string> {
  const item = (document.paths as Record<string, Record<string, unknown> | undefined>)[template] ?? {};
  const names = new Set<string>();
  const scan = (parameters: unknown) => {
    if (!Array.isArray(parameters)) return;
    for (const p of parameters as Array<{ in?: string; name?: string; 'x-catch-all'?: boolean }>) {
      if (p?.in === 'path' && p['x-catch-all'] === true && p.name) names.add(p.name);
    }
  };
  scan(item.parameters);
  for (const value of Object.values(item)) if (value && typeof value === 'object') scan((value as { parameters?: unknown }).parameters);
  return names;
}

function compileTemplate(template: string, catchAll: Set<string> = new Set()): RouteEntry {
  const literals = template.replace(PARAM, '\0').split('\0');
  const names = (template.match(PARAM) ?? []).map((p) => p.slice(1, -1));
  const bathNames = (template.match(BATH_PARAM) ?? []).map((p) => p.slice(1, -1));
  // bath cannot capture a slash, so a catch-all is always parsed with the pattern here.
  const simple =
    catchAll.size > 0 ||
    (names.length === bathNames.length &&
    names.every((n, i) => n === bathNames[i]) &&
    !literals.some((l, i) => REGEX_META.test(l) || (l === '' && i > 0 && i < literals.length - 1)));
  // A catch-all matches any rest, slashes included (`(.*)`); it is only ever a template's last part.
  const groups = names.map((name) => (catchAll.has(name) ? '(.*)' : '([^/]+)'));
  return {
    template,
    pattern: new RegExp(`^${literals.map((literal, i) => escapeRegExp(literal) + (i < groups.length ? groups[i] : '')).join('')}$`),
    names,
    simple,
    bathSource: '^' + template.replace(BATH_PARAM, '([^\\/]*)') + '$',
    bathNames,
    byMethod: new Map(),
  };
}

/**
 * Path parameters as openapi-backend's parseRequest gives them (through bath): each value
 * decoded with decodeURIComponent (a broken escape throws URIError, as it always did), and no
 * parameters at all when a name repeats with different values.
 */
function paramsOf(entry: RouteEntry, path: string, groups: RegExpExecArray | undefined): Record<string, string> {
  let names = entry.names;
  let match = groups;
  if (!entry.simple || !match) {
    names = entry.bathNames;
    match = new RegExp(entry.bathSource).exec(path) ?? undefined;
    if (!match) return {};
  }
  const values: string[] = [];
  for (let i = 1; i < match.length; i++) values.push(decodeURIComponent(match[i]));
  // bath pairs every group with a name; a group with none (a '(' in a literal part) throws there.
  if (values.length > names.length) throw new TypeError(`Cannot destructure property 'name' of 'parameterPattern[i]' as it is undefined.`);
  const params: Record<string, string> = {};
  for (let i = 0; i < values.length; i++) {
    const name = names[i];
    for (let j = 0; j < i; j++) {
      if (names[j] === name && values[j] !== values[i]) return {};
    }
    Object.assign(params, { [name]: values[i] });
  }
  return params;
}

/** True when the request says it sends a non-JSON media type the operation declares (multipart). */
function sentRawMedia(operation: OperationObject, headers: Record<string, string>): boolean {
  const sent = (headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
  if (!sent || /^application\/([\w.+-]*\+)?json$/.test(sent)) return false;
  return Object.keys(operation.requestBody?.content ?? {}).some((t) => t.toLowerCase() === sent);
}

/**
 * openapi-backend JSON-parses a string body a second time; a body that is a JSON string
 * ("abc") must reach it still encoded, or it is judged as broken JSON instead of a wrong type.
 */
function encodedBody(body: unknown): unknown {
  return typeof body === 'string' ? JSON.stringify(body) : body;
}

type AjvError = { instancePath: string; schemaPath: string; message?: string; params?: Record<string, unknown>; keyword: string };

function issuesOf(errors: AjvError[]): ValidationIssue[] {
  return (
    errors
      // Query parameters the operation does not declare are ignored, as the providers' servers
      // (gin, axum, net/http) ignore them; openapi-backend would refuse them.
      .filter((error) => !(error.keyword === 'additionalProperties' && error.instancePath.startsWith('/query')))
      .map((error) => {
        const location = locationOf(error.instancePath, error.schemaPath);
        return { location, message: describe(error, location) };
      })
  );
}

function locationOf(instancePath: string, schemaPath: string): string {
  // openapi-backend validates one object {path, query, headers, requestBody}; its first key
  // says where the fault is.
  const parts = instancePath.split('/').filter(Boolean);
  const root = parts[0] ?? schemaPath.split('/').filter((p) => p !== '#' && p !== 'properties')[0] ?? 'request';
  const rest = parts.slice(1).join('.');
  const where = root === 'requestBody' ? 'body' : root === 'headers' ? 'header' : root;
  return rest ? `${where}.${rest}` : where;
}

function describe(error: { instancePath: string; message?: string; params?: Record<string, unknown>; keyword: string }, location: string): string {
  const path = error.instancePath.split('/').filter(Boolean).slice(1).join('.');
  const subject = path ? `'${path}'` : 'the body';
  if (error.keyword === 'required' && error.params?.missingProperty === 'requestBody') return 'the request has no body';
  // A missing header or query parameter is the request's, not its body's.
  const container = location === 'header' ? 'header' : location === 'query' ? 'query parameter' : undefined;
  if (error.keyword === 'required' && !path && container) return `the request is missing required ${container} '${String(error.params?.missingProperty)}'`;
  if (error.keyword === 'required') return `${subject} is missing required property '${String(error.params?.missingProperty)}'`;
  if (error.keyword === 'enum') return `${subject} must be one of ${JSON.stringify(error.params?.allowedValues)}`;
  return `${subject} ${error.message ?? 'is invalid'}`;
}
