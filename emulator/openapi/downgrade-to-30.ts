import type { OpenAPIDocument } from './openapi-types.ts';

/**
 * openapi-backend checks and compiles documents by the OpenAPI 3.0 rules. Handed a 3.1 document
 * with `type: [integer, 'null']`, it reports the document invalid and ends up with no routes at
 * all, so every request becomes a 404. This rewrites the 3.1 constructs our documents use into
 * their 3.0 equivalents, for routing and request validation only; responses are validated
 * against the original 3.1 schemas (see response-validator.ts).
 */
export function downgradeTo30(document: OpenAPIDocument): OpenAPIDocument {
  if (!document.openapi.startsWith('3.1')) return document;
  const seen = new WeakMap<object, unknown>();
  const converted = convert(document, seen) as OpenAPIDocument;
  converted.openapi = '3.0.3';
  delete converted.webhooks;
  delete converted.jsonSchemaDialect;
  return converted;
}

function convert(value: unknown, seen: WeakMap<object, unknown>): unknown {
  if (Array.isArray(value)) return value.map((v) => convert(v, seen));
  if (!value || typeof value !== 'object') return value;
  // Dereferenced documents share objects; convert each once and keep the sharing.
  const done = seen.get(value);
  if (done) return done;
  const out: Record<string, unknown> = {};
  seen.set(value, out);
  for (const [key, v] of Object.entries(value)) out[key] = convert(v, seen);
  rewriteSchemaKeywords(out);
  return out;
}

function rewriteSchemaKeywords(schema: Record<string, unknown>): void {
  const type = schema.type;
  if (Array.isArray(type)) {
    const types = type.filter((t) => t !== 'null');
    if (types.length < type.length) schema.nullable = true;
    if (types.length === 1) schema.type = types[0];
    else if (types.length === 0) {
      delete schema.type;
      schema.enum = [null];
    } else {
      delete schema.type;
      schema.anyOf = types.map((t) => ({ type: t }));
    }
  }
  if ('const' in schema) {
    schema.enum = [schema.const];
    delete schema.const;
  }
  if (typeof schema.exclusiveMinimum === 'number') {
    schema.minimum = schema.exclusiveMinimum;
    schema.exclusiveMinimum = true;
  }
  if (typeof schema.exclusiveMaximum === 'number') {
    schema.maximum = schema.exclusiveMaximum;
    schema.exclusiveMaximum = true;
  }
  // 3.1 schema `examples` is an array; 3.0 knows only `example`. Media types keep theirs.
  if (Array.isArray(schema.examples)) {
    if (!('example' in schema) && schema.examples.length > 0) schema.example = schema.examples[0];
    delete schema.examples;
  }
  // 3.0 has no room for a type-less `null` in `oneOf` members written as { type: 'null' }.
  for (const key of ['oneOf', 'anyOf'] as const) {
    const list = schema[key];
    if (Array.isArray(list) && list.some((m) => m && (m as Record<string, unknown>).type === 'null')) {
      schema[key] = list.filter((m) => !(m && (m as Record<string, unknown>).type === 'null'));
      schema.nullable = true;
    }
  }
}
