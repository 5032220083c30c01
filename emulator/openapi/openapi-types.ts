// A deliberately loose view of an OpenAPI 3.0/3.1 document: the emulator reads only a few
// fields, and the documents themselves are checked by swagger-parser, not by these types.

export type JsonSchema = Record<string, any>;

export interface MediaTypeObject {
  schema?: JsonSchema;
  example?: unknown;
  examples?: Record<string, { value?: unknown; summary?: string }>;
}

export interface ResponseObject {
  description?: string;
  headers?: Record<string, unknown>;
  content?: Record<string, MediaTypeObject>;
}

export interface ParameterObject {
  name: string;
  in: 'path' | 'query' | 'header' | 'cookie';
  required?: boolean;
  schema?: JsonSchema;
  example?: unknown;
  examples?: Record<string, { value?: unknown }>;
}

export interface OperationObject {
  operationId?: string;
  summary?: string;
  parameters?: ParameterObject[];
  /** `x-stream: true`: the body reaches the handler as a stream, never read whole (uploads). */
  requestBody?: { required?: boolean; content?: Record<string, MediaTypeObject>; 'x-stream'?: boolean };
  responses?: Record<string, ResponseObject>;
  security?: Array<Record<string, string[]>>;
  [extension: `x-${string}`]: unknown;
}

export const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const;
export type HttpMethod = (typeof HTTP_METHODS)[number];

export type PathItemObject = { parameters?: ParameterObject[]; servers?: unknown[] } & Partial<
  Record<HttpMethod, OperationObject>
>;

export interface OpenAPIDocument {
  openapi: string;
  info: { title: string; version: string; [key: string]: unknown };
  servers?: Array<{ url: string; [key: string]: unknown }>;
  paths: Record<string, PathItemObject>;
  components?: { schemas?: Record<string, JsonSchema>; [key: string]: unknown };
  security?: Array<Record<string, string[]>>;
  [extension: string]: unknown;
}

/** Every operation of a document, with its path, method and path-level parameters merged in. */
export function operationsOf(doc: OpenAPIDocument): Array<{
  path: string;
  method: HttpMethod;
  operation: OperationObject;
  parameters: ParameterObject[];
}> {
  const out = [];
  for (const [path, item] of Object.entries(doc.paths ?? {})) {
    for (const method of HTTP_METHODS) {
      const operation = item[method];
      if (!operation) continue;
      // Operation-level parameters override path-level ones with the same name and location.
      const byKey = new Map<string, ParameterObject>();
      for (const p of [...(item.parameters ?? []), ...(operation.parameters ?? [])]) byKey.set(`${p.in}:${p.name}`, p);
      out.push({ path, method, operation, parameters: [...byKey.values()] });
    }
  }
  return out;
}
