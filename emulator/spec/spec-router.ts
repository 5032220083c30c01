import { OpenAPIBackend, type Document, type Operation } from 'openapi-backend';
import type { Ajv } from 'ajv';
import type { LoadedSpec } from './load-spec.ts';
import { downgradeTo30 } from './downgrade-to-30.ts';
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

export interface MatchedOperation {
  operationId: string;
  method: string;
  /** The path template, e.g. `/process/{identifier}`. */
  path: string;
  operation: OperationObject;
  /** Path parameters as they appear in the URL (decoded, not coerced). */
  params: Record<string, string>;
}

export type RouteResult =
  | { kind: 'matched'; match: MatchedOperation }
  | { kind: 'not-found' }
  | { kind: 'method-not-allowed'; allowed: string[] };

export interface ValidationIssue {
  /** Where the fault is: `body.command`, `query.lines`, `path.pid`, `header.content-type`. */
  location: string;
  message: string;
}

export interface SpecRouterOptions {
  /** Keeps only the paths a mount serves, when one document holds several surfaces. */
  pathFilter?: (path: string) => boolean;
}

/**
 * Routes requests to the operations of one document and validates them, with openapi-backend.
 * The router never answers: it says what matched and what is wrong, and the provider turns that
 * into its own dialect.
 */
export class SpecRouter {
  private constructor(
    readonly spec: LoadedSpec,
    private readonly api: OpenAPIBackend,
    private readonly byId: Map<string, { method: string; path: string; operation: OperationObject }>,
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
      ajvOpts: { strict: false, allErrors: true },
      customizeAjv: (ajv: Ajv) => {
        for (const format of ['int32', 'int64', 'float', 'double', 'byte', 'binary', 'password', 'date-time', 'date', 'uri', 'uuid', 'email']) {
          ajv.addFormat(format, true);
        }
        return ajv;
      },
    });
    await api.init();
    const byId = new Map<string, { method: string; path: string; operation: OperationObject }>();
    for (const op of api.getOperations()) {
      if (op.operationId) byId.set(op.operationId, { method: op.method, path: op.path, operation: op as OperationObject });
    }
    if (byId.size === 0) {
      throw new Error(`Failed to build a router for ${spec.file}: no operation with an operationId survived. Check the document's paths.`);
    }
    return new SpecRouter(spec, api, byId);
  }

  get operationIds(): string[] {
    return [...this.byId.keys()];
  }

  operation(operationId: string): OperationObject | undefined {
    return this.byId.get(operationId)?.operation;
  }

  route(method: string, path: string): RouteResult {
    const request = { method: method.toLowerCase(), path, headers: {} };
    const op = this.api.router.matchOperation(request);
    if (op?.operationId) {
      const params = this.api.router.parseRequest(request, op).params as Record<string, string>;
      return {
        kind: 'matched',
        match: { operationId: op.operationId, method: op.method, path: op.path, operation: op as OperationObject, params },
      };
    }
    const allowed = this.api.router
      .getOperations()
      .filter((candidate: Operation) => this.api.router.matchOperation({ ...request, method: candidate.method })?.operationId === candidate.operationId)
      .map((candidate: Operation) => candidate.method.toUpperCase());
    return allowed.length > 0 ? { kind: 'method-not-allowed', allowed } : { kind: 'not-found' };
  }

  /** Checks path, query, header parameters and a JSON body against the operation. */
  validate(match: MatchedOperation, request: SpecRequest): ValidationIssue[] {
    // openapi-backend JSON-parses a string body a second time; a body that is a JSON string
    // ("abc") must reach it still encoded, or it is judged as broken JSON instead of a wrong type.
    const body = typeof request.body === 'string' ? JSON.stringify(request.body) : request.body;
    const result = this.api.validateRequest(
      { method: match.method, path: request.path, query: request.query, headers: request.headers, body },
      match.operationId,
    );
    if (result.valid) return [];
    return (result.errors ?? []).map((error: { instancePath: string; schemaPath: string; message?: string; params?: Record<string, unknown>; keyword: string }) => ({
      location: locationOf(error.instancePath, error.schemaPath),
      message: describe(error),
    }));
  }
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

function describe(error: { instancePath: string; message?: string; params?: Record<string, unknown>; keyword: string }): string {
  const path = error.instancePath.split('/').filter(Boolean).slice(1).join('.');
  const subject = path ? `'${path}'` : 'the body';
  if (error.keyword === 'required' && error.params?.missingProperty === 'requestBody') return 'the request has no body';
  if (error.keyword === 'required') return `${subject === 'the body' ? 'the body' : subject} is missing required property '${String(error.params?.missingProperty)}'`;
  if (error.keyword === 'enum') return `${subject} must be one of ${JSON.stringify(error.params?.allowedValues)}`;
  return `${subject} ${error.message ?? 'is invalid'}`;
}
