import type { JsonSchema } from './openapi-types.ts';

/** Keywords that look at what a string says, not only at its being a string. */
const CONTENT_KEYWORDS = ['pattern', 'format', 'minLength', 'maxLength', 'enum', 'const', 'contentEncoding', 'contentMediaType', 'contentSchema'];

/** Keywords whose subschemas apply at the same place as the schema holding them. */
const SAME_PLACE_LISTS = ['allOf', 'anyOf', 'oneOf'];
const SAME_PLACE_ONES = ['not', 'if', 'then', 'else'];

/**
 * True when the schema's verdict on a value cannot depend on what the string at `path` says,
 * only on its being a string: no schema that may apply there looks at a string's content.
 * `path` is a list of property names from the root; [] is the value itself.
 *
 * The frames of one output chunk differ only in the line they carry, so when the frame schema
 * is blind to the line, one frame's verdict is every frame's. Conservative: whatever this cannot
 * follow (a $ref left in place, a discriminator on the way) counts as looking.
 */
export function blindToStringAt(schema: unknown, path: readonly string[]): boolean {
  const found = schemasAt(schema, path);
  return found !== undefined && found.every((s) => !CONTENT_KEYWORDS.some((k) => k in s));
}

/** Every object schema that may apply at `path`; undefined when one cannot be followed. */
function schemasAt(schema: unknown, path: readonly string[]): JsonSchema[] | undefined {
  const here = samePlace(schema, new Set());
  if (!here) return undefined;
  if (path.length === 0) return here;
  const [name, ...rest] = path;
  const out: JsonSchema[] = [];
  for (const s of here) {
    if (s.discriminator !== undefined) return undefined;
    // Where a property's value may be judged: its own schema, any pattern (whatever the name),
    // and the catch-alls for names not listed.
    const children: unknown[] = [s.properties?.[name], ...Object.values(s.patternProperties ?? {}), s.additionalProperties, s.unevaluatedProperties];
    for (const child of children) {
      if (child === undefined || typeof child === 'boolean') continue;
      // No cycle to guard against here: each step goes one property deeper along a finite path.
      const below = schemasAt(child, rest);
      if (!below) return undefined;
      out.push(...below);
    }
  }
  return out;
}

/** The schema and every subschema that applies at the same place (allOf, oneOf, if, ...). */
function samePlace(schema: unknown, seen: Set<object>): JsonSchema[] | undefined {
  if (typeof schema === 'boolean') return [];
  if (typeof schema !== 'object' || schema === null || Array.isArray(schema)) return undefined;
  if (seen.has(schema)) return [];
  seen.add(schema);
  const s = schema as JsonSchema;
  if ('$ref' in s || '$dynamicRef' in s) return undefined;
  const out: JsonSchema[] = [s];
  const members: unknown[] = [
    ...SAME_PLACE_LISTS.flatMap((k) => (Array.isArray(s[k]) ? s[k] : [])),
    ...SAME_PLACE_ONES.map((k) => s[k]),
    // Draft-07 `dependencies` and 2020-12 `dependentSchemas` apply more schemas to the same object.
    ...Object.values((s.dependentSchemas ?? {}) as Record<string, unknown>),
    ...Object.values((s.dependencies ?? {}) as Record<string, unknown>).filter((d) => !Array.isArray(d)),
  ];
  for (const member of members) {
    if (member === undefined) continue;
    const more = samePlace(member, seen);
    if (!more) return undefined;
    out.push(...more);
  }
  return out;
}
