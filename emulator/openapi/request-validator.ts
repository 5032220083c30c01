import type { ErrorObject, ValidateFunction } from 'ajv';
import type { OpenAPIBackend, Operation } from 'openapi-backend';

/** What openapi-backend's validateRequest is given: headers in any case, path parameters parsed by the caller. */
export interface RequestToCheck {
  query: Record<string, string | string[]>;
  headers: Record<string, string | string[]>;
  /** As openapi-backend takes it: a string is JSON text, anything else the parsed body. */
  body?: unknown;
  /** Path parameters as bath (openapi-backend's parser) gives them: decoded, fresh (validation coerces them in place). */
  params: Record<string, string>;
}

/** Query parameter declared with `in: query` (openapi-backend looks up the first of a name). */
interface QueryParameter {
  name: string;
  in: string;
  schema?: { type?: unknown; additionalProperties?: unknown };
  content?: Record<string, unknown>;
  explode?: boolean;
  style?: string;
}

/** What openapi-backend's validateRequest works out from the operation on every request, worked out once. */
interface Plan {
  validators: ValidateFunction[];
  /** The first query parameter of each name. */
  query: Map<string, QueryParameter>;
  jsonQuery: QueryParameter[];
  /** True when the only request body media type is exactly application/json. */
  onlyJson: boolean;
  /** Header parameters are validated (and coerced in place): headers are copied, lower-cased. */
  copyHeaders: boolean;
}

/**
 * openapi-backend's validateRequest, without its per-request parse: the same precompiled
 * validators, given the same object `{ path, query, header, cookie, requestBody }` built the
 * way its parseRequest builds it, so the errors are the same, in the same order.
 *
 * Why: parseRequest looked up operations, recompiled the path template (bath), deep-cloned the
 * query (and serialised it once for nothing), lodash-mapped the headers and parsed cookies on
 * every request: two thirds of request validation, and the largest JavaScript cost of a
 * simple GET under load. What stays per request here is what depends on the request.
 *
 * Operations with cookie parameters still go through openapi-backend (none of the documents has
 * one; parsing cookies exactly as it does would need its cookie parser).
 */
export class RequestValidator {
  private readonly plans = new Map<Operation, Plan | 'fallback'>();

  constructor(private readonly api: OpenAPIBackend) {}

  /**
   * The errors openapi-backend's `validateRequest(req, operation)` reports, for a request whose
   * path parameters the caller already parsed from `path` against `operation.path`.
   */
  errors(operation: Operation, request: RequestToCheck, path: string, method: string): ErrorObject[] {
    const plan = this.planFor(operation);
    if (plan === 'fallback') {
      const result = this.api.validateRequest({ method, path, query: request.query, headers: request.headers, body: request.body }, operation);
      return (result.errors ?? []) as ErrorObject[];
    }
    const errors: ErrorObject[] = [];

    // parseRequest: a body that is not an object is JSON text, parsed when it parses.
    const raw = request.body;
    let requestBody = raw;
    if (raw && typeof raw !== 'object') {
      try {
        requestBody = JSON.parse(String(raw));
      } catch {
        // Reported below when JSON is the only media type, as openapi-backend does.
      }
    }
    // Copied only when validation may coerce a header in place, or a name needs lower-casing.
    const given = request.headers ?? {};
    const headers: Record<string, unknown> = plan.copyHeaders || !allLowerCase(given) ? lowerCased(given) : given;
    const query = copyQuery(request.query);
    for (const name in query) {
      const value = query[name];
      if (!value) continue;
      const parameter = plan.query.get(name);
      if (!parameter) continue;
      if (parameter.content?.['application/json']) {
        if (typeof value === 'string') {
          try {
            query[name] = JSON.parse(value);
          } catch {
            // Left as it is: reported as a parse error below.
          }
        }
      } else if (parameter.explode === false) {
        if (Array.isArray(value) && value.length > 1) continue;
        const first = Array.isArray(value) ? value[0] : value;
        if (typeof first !== 'string') continue;
        let decoded = first.replace(/%2C/g, ',');
        if (parameter.style === 'spaceDelimited') decoded = decoded.replace(/ /g, ',').replace(/%20/g, ',');
        if (parameter.style === 'pipeDelimited') decoded = decoded.replace(/\|/g, ',').replace(/%7C/g, ',');
        query[name] = decoded.split(',');
      }
    }
    // validateRequest: a single value of a parameter declared as an array becomes an array.
    for (const name in query) {
      if (typeof query[name] !== 'string') continue;
      if (plan.query.get(name)?.schema?.type === 'array') query[name] = [query[name]];
    }
    const parameters: Record<string, unknown> = { path: request.params, query, header: headers, cookie: {} };

    if (typeof raw !== 'object' && raw !== undefined && plan.onlyJson) {
      try {
        JSON.parse(`${raw as string}`);
      } catch (error) {
        if (error instanceof Error) errors.push({ keyword: 'parse', instancePath: '', schemaPath: '#/requestBody', params: [] as unknown as Record<string, unknown>, message: error.message });
      }
    }
    for (const parameter of plan.jsonQuery) {
      // The raw query: the value before the parse above.
      const rawValue = request.query[parameter.name];
      if (typeof rawValue !== 'string') continue;
      try {
        JSON.parse(rawValue);
      } catch (error) {
        if (error instanceof Error) {
          errors.push({ keyword: 'parse', instancePath: `/query/${parameter.name}`, schemaPath: `#/parameters/${parameter.name}`, params: [] as unknown as Record<string, unknown>, message: error.message });
        }
      }
    }
    const rawType = headers['content-type'];
    const contentType = String((Array.isArray(rawType) ? rawType[0] : rawType) || '')
      .split(';')[0]
      .trim()
      .toLowerCase();
    if (typeof requestBody === 'object' || contentType === 'application/json') parameters.requestBody = requestBody;

    for (const validate of plan.validators) {
      validate(parameters);
      if (validate.errors) errors.push(...validate.errors);
    }
    return errors;
  }

  private planFor(operation: Operation): Plan | 'fallback' {
    let plan = this.plans.get(operation);
    if (plan) return plan;
    const parameters = (operation.parameters ?? []) as QueryParameter[];
    if (parameters.some((p) => p.in === 'cookie')) plan = 'fallback';
    else {
      const query = new Map<string, QueryParameter>();
      for (const p of parameters) if (p.in === 'query' && !query.has(p.name)) query.set(p.name, p);
      const content = (operation.requestBody as { content?: Record<string, unknown> } | undefined)?.content ?? {};
      const types = Object.keys(content);
      plan = {
        // openapi-backend's own validators, compiled (once, and cached by it) from the operation.
        validators: this.api.validator.getRequestValidatorsForOperation(operation.operationId!) ?? [],
        query,
        jsonQuery: parameters.filter((p) => p.in === 'query' && p.content?.['application/json']),
        onlyJson: types.length === 1 && types[0] === 'application/json',
        copyHeaders: parameters.some((p) => p.in === 'header'),
      };
    }
    this.plans.set(operation, plan);
    return plan;
  }
}

/** Sets a key as lodash's clone and mapKeys do: `__proto__` becomes an own key, not the prototype. */
function put(target: Record<string, unknown>, key: string, value: unknown): void {
  if (key === '__proto__') Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  else target[key] = value;
}

function allLowerCase(headers: Record<string, unknown>): boolean {
  for (const name in headers) if (name !== name.toLowerCase()) return false;
  return true;
}

/** lodash's mapKeys(headers, lower-case): a copy, a later name winning over an earlier one of another case. */
function lowerCased(headers: Record<string, string | string[]>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const name of Object.keys(headers)) put(out, name.toLowerCase(), headers[name]);
  return out;
}

/** lodash's cloneDeep of the query (strings and arrays of strings): validation coerces in place. */
function copyQuery(query: Record<string, string | string[]>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const name of Object.keys(query)) {
    const value = query[name];
    put(out, name, Array.isArray(value) ? [...value] : value);
  }
  return out;
}
