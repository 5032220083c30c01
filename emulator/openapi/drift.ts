// The drift check: tells a user that a provider changed its published API since our document
// was written. It compares OUR document with the provider's, operation by operation, on what
// a client sees on the wire (paths, parameters, bodies, statuses, schemas) and on nothing else:
// descriptions, examples and `x-*` extensions are prose or our own annotations, not contract.

import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadSpec, SpecLoadError, type LoadedSpec } from './load-spec.ts';
import {
  operationsOf,
  type JsonSchema,
  type MediaTypeObject,
  type OpenAPIDocument,
  type OperationObject,
  type ParameterObject,
  type ResponseObject,
} from './openapi-types.ts';

export type DriftKind = 'missing-upstream' | 'only-ours' | 'only-upstream' | 'changed';

export interface DriftDifference {
  /** Our operation, `GET /process/{identifier}/logs` (our path, upstream prefix stripped). */
  operation: string;
  /** Where in the operation, ending with the aspect that differs: `parameter query 'lines': required`. */
  where: string;
  kind: DriftKind;
  /** Our value for `changed`; a short summary (a type, a media set) for `only-ours`. */
  ours?: unknown;
  /** The upstream value for `changed`; a short summary for `only-upstream`. */
  upstream?: unknown;
}

export interface DriftReport {
  /** Operations both documents declare, in our document's order. */
  sharedOperations: string[];
  /** Upstream operations we do not cover. Not differences (we describe a subset), only counted. */
  upstreamOnlyOperations: string[];
  /** Per shared operation, then one `missing-upstream` record per operation of ours upstream lacks. */
  differences: DriftDifference[];
  /**
   * Operations of ours that another of the provider's documents describes (`x-upstream-document`,
   * e.g. E2B's envd procedures, from protobuf): not compared with this one, only named.
   */
  describedElsewhere: Array<{ operation: string; document: string }>;
}

export const DRIFT_PROVIDERS = ['blaxel', 'blaxel-control', 'tensorlake', 'agentbox', 'e2b', 'e2b-envd'] as const;
export type DriftProvider = (typeof DRIFT_PROVIDERS)[number];

// ---------------------------------------------------------------------------------------------
// Pairing operations

/** The root extension naming the prefix our paths carry and the provider's document does not. */
const PREFIX_EXTENSION = 'x-upstream-path-prefix';

function stripPrefix(path: string, prefix: string | undefined): string {
  if (!prefix || prefix === '/') return path;
  const trimmed = prefix.replace(/\/+$/, '');
  if (path === trimmed) return '/';
  // Only on a segment boundary: `/v1` must not eat the start of `/v10/...`.
  return path.startsWith(`${trimmed}/`) ? path.slice(trimmed.length) : path;
}

/** Path params compare by position, not name: `/p/{identifier}` and `/p/{pid}` are one route on the wire. */
function pairingKey(method: string, path: string): string {
  const template = path.length > 1 ? path.replace(/\/+$/, '') : path;
  return `${method.toUpperCase()} ${template.replace(/\{[^}]*\}/g, '{}')}`;
}

/**
 * Compares two dereferenced documents. Pure: reads both, changes neither.
 * Upstream operations we do not declare are counted, not reported: our documents describe the
 * subset of each provider that the emulator serves.
 */
export function compareDocuments(ours: OpenAPIDocument, upstream: OpenAPIDocument): DriftReport {
  const prefixValue = ours[PREFIX_EXTENSION];
  const prefix = typeof prefixValue === 'string' ? prefixValue : undefined;

  const upstreamByKey = new Map<string, ReturnType<typeof operationsOf>[number]>();
  for (const op of operationsOf(upstream)) {
    const key = pairingKey(op.method, op.path);
    if (!upstreamByKey.has(key)) upstreamByKey.set(key, op);
  }

  const report: DriftReport = { sharedOperations: [], upstreamOnlyOperations: [], differences: [], describedElsewhere: [] };
  const missing: DriftDifference[] = [];
  const pairedKeys = new Set<string>();
  const normalize = createNormalizer();
  for (const op of operationsOf(ours)) {
    const path = stripPrefix(op.path, prefix);
    const label = `${op.method.toUpperCase()} ${path}`;
    const key = pairingKey(op.method, path);
    const elsewhere = op.operation['x-upstream-document'];
    if (typeof elsewhere === 'string') {
      report.describedElsewhere.push({ operation: label, document: elsewhere });
      continue;
    }
    const theirs = upstreamByKey.get(key);
    if (!theirs) {
      missing.push({ operation: label, where: 'operation', kind: 'missing-upstream', ours: op.path });
      continue;
    }
    // Two of our paths can collapse onto one key only in a broken document; compare the first.
    if (pairedKeys.has(key)) continue;
    pairedKeys.add(key);
    report.sharedOperations.push(label);
    const sink = new DifferenceSink(label, report.differences, normalize);
    compareParameters(sink, path, op.parameters, theirs.path, theirs.parameters);
    compareRequestBodies(sink, op.operation, theirs.operation);
    compareResponses(sink, op.operation, theirs.operation);
  }
  report.differences.push(...missing);
  for (const [key, op] of upstreamByKey) {
    if (!pairedKeys.has(key)) report.upstreamOnlyOperations.push(`${op.method.toUpperCase()} ${op.path}`);
  }
  return report;
}

/**
 * Keeps only the named operations (labels as in the report, `GET /x/{id}`). The upstream-only
 * list stays whole: it is context for the summary, not a difference of any operation.
 */
export function filterDriftReport(report: DriftReport, operations: readonly string[]): DriftReport {
  const keep = new Set(operations);
  return {
    sharedOperations: report.sharedOperations.filter((op) => keep.has(op)),
    upstreamOnlyOperations: report.upstreamOnlyOperations,
    differences: report.differences.filter((d) => keep.has(d.operation)),
    describedElsewhere: report.describedElsewhere.filter((d) => keep.has(d.operation)),
  };
}

/** Collects one operation's differences; carries the comparison's schema normalizer. */
class DifferenceSink {
  constructor(
    readonly operation: string,
    private readonly out: DriftDifference[],
    readonly normalize: Normalizer,
  ) {}

  /** A schema's short description for `only-*` records: its type, `any` when it has none. */
  summarize(schema: unknown): string {
    const n = this.normalize(schema);
    return `${n.type ?? 'any'}${n.nullable ? ' (nullable)' : ''}`;
  }

  add(where: string, kind: DriftKind, ours?: unknown, upstream?: unknown): void {
    const record: DriftDifference = { operation: this.operation, where, kind };
    if (ours !== undefined) record.ours = ours;
    if (upstream !== undefined) record.upstream = upstream;
    this.out.push(record);
  }

  /** Records a `changed` difference when the two values differ (arrays compare as sorted sets by the caller). */
  changed(where: string, ours: unknown, upstream: unknown): void {
    if (!sameValue(ours, upstream)) this.add(where, 'changed', ours, upstream);
  }
}

function sameValue(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

// ---------------------------------------------------------------------------------------------
// Parameters

function pathParamNames(path: string): string[] {
  return [...path.matchAll(/\{([^}]*)\}/g)].map((m) => m[1]);
}

/** Header names are case-insensitive on the wire, so they pair case-insensitively. */
function parameterKey(p: ParameterObject): string {
  return `${p.in}:${p.in === 'header' ? p.name.toLowerCase() : p.name}`;
}

function parameterSchema(p: ParameterObject): JsonSchema | undefined {
  if (p.schema) return p.schema;
  const content = (p as { content?: Record<string, MediaTypeObject> }).content;
  return content ? Object.values(content)[0]?.schema : undefined;
}

function compareParameters(
  sink: DifferenceSink,
  ourPath: string,
  ours: ParameterObject[],
  upstreamPath: string,
  upstream: ParameterObject[],
): void {
  // Path parameters pair by their position in the template; the names are each document's own.
  const ourNames = pathParamNames(ourPath);
  const upstreamNames = pathParamNames(upstreamPath);
  ourNames.forEach((name, index) => {
    const mine = ours.find((p) => p.in === 'path' && p.name === name);
    const theirs = upstream.find((p) => p.in === 'path' && p.name === upstreamNames[index]);
    const where = `parameter path '${name}'`;
    if (!mine || !theirs) {
      // A template name without a declared parameter: report the side that declares one.
      if (mine) sink.add(where, 'only-ours', sink.summarize(parameterSchema(mine)));
      else if (theirs) sink.add(where, 'only-upstream', undefined, sink.summarize(parameterSchema(theirs)));
      return;
    }
    compareParameter(sink, where, mine, theirs);
  });

  const upstreamOthers = new Map(upstream.filter((p) => p.in !== 'path').map((p) => [parameterKey(p), p]));
  const seen = new Set<string>();
  for (const mine of ours) {
    if (mine.in === 'path') continue;
    const key = parameterKey(mine);
    seen.add(key);
    const where = `parameter ${mine.in} '${mine.name}'`;
    const theirs = upstreamOthers.get(key);
    if (!theirs) sink.add(where, 'only-ours', sink.summarize(parameterSchema(mine)));
    else compareParameter(sink, where, mine, theirs);
  }
  for (const [key, theirs] of upstreamOthers) {
    if (seen.has(key)) continue;
    sink.add(`parameter ${theirs.in} '${theirs.name}'`, 'only-upstream', undefined, sink.summarize(parameterSchema(theirs)));
  }
}

function compareParameter(sink: DifferenceSink, where: string, ours: ParameterObject, upstream: ParameterObject): void {
  sink.changed(`${where}: required`, ours.required === true, upstream.required === true);
  compareSchemas(sink, `${where}:`, parameterSchema(ours), parameterSchema(upstream));
}

// ---------------------------------------------------------------------------------------------
// Request bodies and responses

/** `application/json; charset=utf-8` is `application/json` to every client we care about. */
function mediaKey(media: string): string {
  return media.split(';')[0].trim().toLowerCase();
}

function contentOf(content: Record<string, MediaTypeObject> | undefined): Map<string, MediaTypeObject> {
  return new Map(Object.entries(content ?? {}).map(([media, object]) => [mediaKey(media), object]));
}

function compareRequestBodies(sink: DifferenceSink, ours: OperationObject, upstream: OperationObject): void {
  const mine = ours.requestBody;
  const theirs = upstream.requestBody;
  if (!mine && !theirs) return;
  if (!mine || !theirs) {
    const media = [...contentOf((mine ?? theirs)?.content).keys()].sort();
    if (mine) sink.add('request body', 'only-ours', media);
    else sink.add('request body', 'only-upstream', undefined, media);
    return;
  }
  sink.changed('request body: required', mine.required === true, theirs.required === true);
  compareContent(sink, 'request body', contentOf(mine.content), contentOf(theirs.content));
}

function compareResponses(sink: DifferenceSink, ours: OperationObject, upstream: OperationObject): void {
  const mine = ours.responses ?? {};
  const theirs = upstream.responses ?? {};
  for (const [status, response] of Object.entries(mine)) {
    const where = `response ${status}`;
    const other: ResponseObject | undefined = theirs[status];
    if (!other) {
      sink.add(where, 'only-ours', [...contentOf(response.content).keys()].sort());
      continue;
    }
    compareContent(sink, where, contentOf(response.content), contentOf(other.content));
  }
  for (const [status, response] of Object.entries(theirs)) {
    if (status in mine) continue;
    sink.add(`response ${status}`, 'only-upstream', undefined, [...contentOf(response.content).keys()].sort());
  }
}

function compareContent(
  sink: DifferenceSink,
  where: string,
  ours: Map<string, MediaTypeObject>,
  upstream: Map<string, MediaTypeObject>,
): void {
  // An upstream that declares no content says nothing about media types, so ours cannot
  // disagree with it; once it names a set, a different set is a difference.
  if (upstream.size > 0) {
    const mine = [...ours.keys()].sort();
    const theirs = [...upstream.keys()].sort();
    sink.changed(`${where}: media types`, mine, theirs);
  }
  for (const [media, object] of ours) {
    const other = upstream.get(media);
    if (other) compareSchemas(sink, `${where} ${media}:`, object.schema, other.schema);
  }
}

// ---------------------------------------------------------------------------------------------
// Schemas

/** A schema reduced to what the drift check compares, with 3.0 and 3.1 spellings made equal. */
interface NormalSchema {
  /** Non-null types, sorted and joined with `|`; undefined when the schema allows any type. */
  type?: string;
  nullable: boolean;
  format?: string;
  /** Enum values without `null` (that is nullability), sorted; `const` counts as a one-value enum. */
  enum?: unknown[];
  properties: Map<string, JsonSchema>;
  required: Set<string>;
  items?: JsonSchema;
  additionalProperties?: JsonSchema;
  oneOf?: JsonSchema[];
  anyOf?: JsonSchema[];
  /** Left only when it could not be flattened (a member is itself a choice). */
  allOf?: JsonSchema[];
}

/** Past this depth a schema is taken as compared: only a pathological document nests deeper. */
const MAX_DEPTH = 40;

const COMPOSITIONS = ['oneOf', 'anyOf', 'allOf'] as const;

function isObject(value: unknown): value is JsonSchema {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isNullOnly(schema: unknown): boolean {
  if (!isObject(schema)) return false;
  const type = schema.type;
  return type === 'null' || (Array.isArray(type) && type.length === 1 && type[0] === 'null');
}

type Normalizer = (schema: unknown) => NormalSchema;

/**
 * Normalizing is cached per schema object for one comparison: dereferenced documents share (and
 * loop through) the same objects. The cache lives no longer than one compareDocuments call, so a
 * caller that edits a document between two calls never gets an answer about the old one.
 */
function createNormalizer(): Normalizer {
  const cache = new WeakMap<object, NormalSchema>();
  return (schema) => {
    if (!isObject(schema)) return { nullable: false, properties: new Map(), required: new Set() };
    let result = cache.get(schema);
    if (!result) cache.set(schema, (result = normalizeUncached(schema, new Set())));
    return result;
  };
}

function normalizeUncached(schema: JsonSchema, flattening: Set<object>): NormalSchema {
  flattening.add(schema);
  const out: NormalSchema = { nullable: schema.nullable === true, properties: new Map(), required: new Set() };

  // Type: 3.1 writes nullability into `type`, 3.0 into `nullable`.
  const types = (Array.isArray(schema.type) ? schema.type : schema.type === undefined ? [] : [schema.type]).map(String);
  if (types.includes('null')) out.nullable = true;
  const nonNull = types.filter((t) => t !== 'null');
  if (nonNull.length > 0) out.type = [...new Set(nonNull)].sort().join('|');
  else if (types.length > 0) out.type = 'null';

  if (typeof schema.format === 'string') out.format = schema.format;

  const values: unknown[] | undefined = Array.isArray(schema.enum)
    ? schema.enum
    : 'const' in schema
      ? [schema.const]
      : undefined;
  if (values) {
    if (values.includes(null)) out.nullable = true;
    out.enum = sortValues(values.filter((v) => v !== null));
  }

  if (isObject(schema.properties)) for (const [name, sub] of Object.entries(schema.properties)) out.properties.set(name, sub);
  if (Array.isArray(schema.required)) for (const name of schema.required) out.required.add(String(name));
  if (isObject(schema.items)) out.items = schema.items;
  if (isObject(schema.additionalProperties)) out.additionalProperties = schema.additionalProperties;

  // `oneOf: [X, {type: 'null'}]` is how 3.1 spells 3.0's `X` + `nullable: true`.
  for (const kind of ['oneOf', 'anyOf'] as const) {
    const members: unknown[] | undefined = Array.isArray(schema[kind]) ? schema[kind] : undefined;
    if (!members) continue;
    const rest = members.filter((m) => !isNullOnly(m)).filter(isObject);
    if (rest.length < members.length) out.nullable = true;
    if (rest.length === 1 && !hasStructure(out) && !flattening.has(rest[0])) {
      mergeInto(out, normalizeUncached(rest[0], flattening));
    } else if (rest.length > 0) {
      out[kind] = rest;
    }
  }

  // allOf is composition; one writer inlines what another composes, and the wire contract is
  // the same, so plain members are merged. A member that is itself a choice stays a member.
  if (Array.isArray(schema.allOf)) {
    const members = (schema.allOf as unknown[]).filter(isObject).filter((m) => !flattening.has(m));
    const normals = members.map((m) => normalizeUncached(m, new Set(flattening)));
    if (normals.every((n) => !n.oneOf && !n.anyOf && !n.allOf)) for (const n of normals) mergeInto(out, n);
    else out.allOf = members;
  }

  // A schema with properties but no `type` is an object to every validator that reads it.
  if (out.type === undefined && out.properties.size > 0) out.type = 'object';
  if (out.type === undefined && out.items) out.type = 'array';
  return out;
}

function hasStructure(n: NormalSchema): boolean {
  return n.type !== undefined || n.properties.size > 0 || n.items !== undefined || n.enum !== undefined;
}

function mergeInto(target: NormalSchema, source: NormalSchema): void {
  target.type ??= source.type;
  target.format ??= source.format;
  target.enum ??= source.enum;
  target.nullable ||= source.nullable;
  for (const [name, sub] of source.properties) if (!target.properties.has(name)) target.properties.set(name, sub);
  for (const name of source.required) target.required.add(name);
  target.items ??= source.items;
  target.additionalProperties ??= source.additionalProperties;
  for (const kind of COMPOSITIONS) if (source[kind]) target[kind] ??= source[kind];
}

function sortValues(values: unknown[]): unknown[] {
  return [...values].sort((a, b) => {
    const x = JSON.stringify(a);
    const y = JSON.stringify(b);
    return x < y ? -1 : x > y ? 1 : 0;
  });
}

/** Renders a position inside a schema: `entries[].stream`, `oneOf[1].code`, `env{*}`. */
function renderPath(segments: string[]): string {
  return segments.reduce((out, segment) => {
    if (segment === '[]' || segment === '{*}') return out + segment;
    return out === '' ? segment : `${out}.${segment}`;
  }, '');
}

function describe(prefix: string, segments: string[], aspect: string): string {
  const parts = [prefix];
  if (segments.length > 0) {
    const last = segments[segments.length - 1];
    const isProperty = last !== '[]' && last !== '{*}' && !/^(oneOf|anyOf|allOf)\[\d+\]$/.test(last);
    // A property name alone is ambiguous with a composition label only if someone names a
    // property `oneOf[0]`; the quoting keeps that readable either way.
    parts.push(`${isProperty ? 'property' : 'schema'} '${renderPath(segments)}'`);
  }
  if (aspect) parts.push(aspect);
  return parts.join(' ');
}

interface SchemaWalk {
  sink: DifferenceSink;
  prefix: string;
  /** Pairs of (our schema, upstream schema) being compared further up: a cycle ends here. */
  active: WeakMap<object, WeakSet<object>>;
}

function compareSchemas(sink: DifferenceSink, prefix: string, ours: unknown, upstream: unknown): void {
  if (ours === undefined && upstream === undefined) return;
  if (ours === undefined) return sink.add(`${prefix} schema`, 'only-upstream', undefined, sink.summarize(upstream));
  if (upstream === undefined) return sink.add(`${prefix} schema`, 'only-ours', sink.summarize(ours));
  walk({ sink, prefix, active: new WeakMap() }, [], ours ?? {}, upstream ?? {}, 0);
}

function walk(ctx: SchemaWalk, segments: string[], ours: unknown, upstream: unknown, depth: number): void {
  if (depth > MAX_DEPTH) return;
  const a = isObject(ours) ? ours : {};
  const b = isObject(upstream) ? upstream : {};
  let partners = ctx.active.get(a);
  if (partners?.has(b)) return;
  if (!partners) ctx.active.set(a, (partners = new WeakSet()));
  partners.add(b);
  try {
    compareNormal(ctx, segments, ctx.sink.normalize(a), ctx.sink.normalize(b), depth);
  } finally {
    partners.delete(b);
  }
}

function compareNormal(ctx: SchemaWalk, segments: string[], a: NormalSchema, b: NormalSchema, depth: number): void {
  const at = (aspect: string) => describe(ctx.prefix, segments, aspect);
  ctx.sink.changed(at('type'), a.type ?? 'any', b.type ?? 'any');
  ctx.sink.changed(at('format'), a.format ?? '(none)', b.format ?? '(none)');
  ctx.sink.changed(at('nullable'), a.nullable, b.nullable);
  if (a.enum || b.enum) ctx.sink.changed(at('enum'), a.enum ?? '(none)', b.enum ?? '(none)');

  // Properties, and required names even when a document forgot to declare them as properties.
  const names = new Set([...a.properties.keys(), ...a.required]);
  const theirNames = new Set([...b.properties.keys(), ...b.required]);
  for (const name of names) {
    const here = [...segments, name];
    if (!theirNames.has(name)) {
      ctx.sink.add(describe(ctx.prefix, here, ''), 'only-ours', ctx.sink.summarize(a.properties.get(name)));
      continue;
    }
    ctx.sink.changed(describe(ctx.prefix, here, 'required'), a.required.has(name), b.required.has(name));
    walk(ctx, here, a.properties.get(name), b.properties.get(name), depth + 1);
  }
  for (const name of theirNames) {
    if (names.has(name)) continue;
    ctx.sink.add(describe(ctx.prefix, [...segments, name], ''), 'only-upstream', undefined, ctx.sink.summarize(b.properties.get(name)));
  }

  compareChild(ctx, [...segments, '[]'], a.items, b.items, depth);
  compareChild(ctx, [...segments, '{*}'], a.additionalProperties, b.additionalProperties, depth);

  for (const kind of COMPOSITIONS) {
    const mine = a[kind] ?? [];
    const theirs = b[kind] ?? [];
    if (mine.length === 0 && theirs.length === 0) continue;
    const { pairs, onlyOurs, onlyUpstream } = matchMembers(mine, theirs, ctx.sink.normalize);
    for (const [i, j] of pairs) walk(ctx, [...segments, `${kind}[${i}]`], mine[i], theirs[j], depth + 1);
    for (const i of onlyOurs) ctx.sink.add(describe(ctx.prefix, [...segments, `${kind}[${i}]`], ''), 'only-ours', ctx.sink.summarize(mine[i]));
    for (const j of onlyUpstream) {
      ctx.sink.add(describe(ctx.prefix, [...segments, `${kind}[${j}]`], ''), 'only-upstream', undefined, ctx.sink.summarize(theirs[j]));
    }
  }
}

function compareChild(ctx: SchemaWalk, segments: string[], ours: JsonSchema | undefined, upstream: JsonSchema | undefined, depth: number): void {
  if (!ours && !upstream) return;
  if (!ours) ctx.sink.add(describe(ctx.prefix, segments, ''), 'only-upstream', undefined, ctx.sink.summarize(upstream));
  else if (!upstream) ctx.sink.add(describe(ctx.prefix, segments, ''), 'only-ours', ctx.sink.summarize(ours));
  else walk(ctx, segments, ours, upstream, depth + 1);
}

/**
 * Pairs the members of two oneOf/anyOf/allOf lists. Order carries no meaning in a choice, so
 * members pair by likeness (shared property names, type, enum values) first and by position
 * only to break ties; members with nothing in common stay unpaired unless at the same index.
 */
function matchMembers(
  ours: JsonSchema[],
  upstream: JsonSchema[],
  normalize: Normalizer,
): { pairs: Array<[number, number]>; onlyOurs: number[]; onlyUpstream: number[] } {
  const candidates: Array<{ i: number; j: number; score: number }> = [];
  ours.forEach((a, i) => upstream.forEach((b, j) => candidates.push({ i, j, score: likeness(normalize(a), normalize(b)) })));
  candidates.sort((x, y) => y.score - x.score || Math.abs(x.i - x.j) - Math.abs(y.i - y.j) || x.i - y.i);
  const usedOurs = new Set<number>();
  const usedUpstream = new Set<number>();
  const pairs: Array<[number, number]> = [];
  for (const { i, j, score } of candidates) {
    if (usedOurs.has(i) || usedUpstream.has(j) || (score === 0 && i !== j)) continue;
    usedOurs.add(i);
    usedUpstream.add(j);
    pairs.push([i, j]);
  }
  pairs.sort((x, y) => x[0] - y[0]);
  return {
    pairs,
    onlyOurs: ours.map((_, i) => i).filter((i) => !usedOurs.has(i)),
    onlyUpstream: upstream.map((_, j) => j).filter((j) => !usedUpstream.has(j)),
  };
}

function likeness(a: NormalSchema, b: NormalSchema): number {
  let score = a.type !== undefined && a.type === b.type ? 1 : 0;
  for (const name of a.properties.keys()) if (b.properties.has(name)) score += 2;
  for (const name of a.required) if (b.required.has(name)) score += 1;
  const theirValues = new Set((b.enum ?? []).map((v) => JSON.stringify(v)));
  for (const value of a.enum ?? []) if (theirValues.has(JSON.stringify(value))) score += 2;
  return score;
}

// ---------------------------------------------------------------------------------------------
// Output

function formatValue(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(formatValue).join(', ')}]`;
  if (typeof value === 'string') return value;
  return JSON.stringify(value);
}

function plural(count: number, word: string, words = `${word}s`): string {
  return `${count} ${count === 1 ? word : words}`;
}

/** One line per difference, without the indentation: `parameter query 'lines': required false -> true`. */
export function formatDifference(d: DriftDifference): string {
  switch (d.kind) {
    case 'changed':
      return `${d.where} ${formatValue(d.ours)} -> ${formatValue(d.upstream)}`;
    case 'only-ours':
      return `${d.where} only ours${d.ours === undefined ? '' : ` (${formatValue(d.ours)})`}`;
    case 'only-upstream':
      return `${d.where} only upstream${d.upstream === undefined ? '' : ` (${formatValue(d.upstream)})`}`;
    case 'missing-upstream':
      return d.operation;
  }
}

export interface FormatDriftOptions {
  provider: string;
  /** Where the upstream document came from, for the heading; omitted when not given. */
  upstream?: string;
}

/** The human-readable report: per operation its differences, then the missing list, then a summary. */
export function formatDriftReport(report: DriftReport, { provider, upstream }: FormatDriftOptions): string {
  const lines = [`Drift of our ${provider} document against ${upstream ?? 'the upstream document'}:`];
  const byOperation = new Map<string, DriftDifference[]>();
  const missing: string[] = [];
  for (const d of report.differences) {
    if (d.kind === 'missing-upstream') {
      missing.push(d.operation);
      continue;
    }
    const list = byOperation.get(d.operation) ?? [];
    list.push(d);
    byOperation.set(d.operation, list);
  }
  for (const [operation, differences] of byOperation) {
    lines.push(operation);
    for (const d of differences) lines.push(`  ${formatDifference(d)}`);
  }
  if (missing.length > 0) {
    lines.push(`Operations of ours missing upstream (${missing.length}):`);
    for (const operation of missing) lines.push(`  ${operation}`);
  }
  if (report.describedElsewhere.length > 0) {
    lines.push(`Operations of ours another document describes, not compared (${report.describedElsewhere.length}):`);
    for (const { operation, document } of report.describedElsewhere) lines.push(`  ${operation}  (${document})`);
  }

  const shared = report.sharedOperations.length;
  const changes = report.differences.length - missing.length;
  const head =
    changes === 0
      ? `No drift on ${plural(shared, 'shared operation')}`
      : `${plural(changes, 'difference')} on ${byOperation.size} of ${plural(shared, 'shared operation')}`;
  const tail = [
    missing.length > 0 ? `${plural(missing.length, 'operation')} of ours missing upstream` : '',
    `${plural(report.upstreamOnlyOperations.length, 'upstream operation')} we do not cover`,
  ].filter(Boolean);
  lines.push(`${[head, ...tail].join('; ')}.`);
  return lines.join('\n');
}

// ---------------------------------------------------------------------------------------------
// Loading and running

/** How long to wait for a published document before giving up; they are single static files. */
const FETCH_TIMEOUT_MS = 30_000;

/**
 * Loads the provider's published document from a file path or an http(s) URL, through the same
 * validation as our own documents. A URL is downloaded to a temporary file first so loadSpec
 * stays the one path every document goes through; errors still name the URL.
 */
export async function loadUpstream(source: string): Promise<LoadedSpec> {
  // Lenient: a published document that breaks OpenAPI's schema (E2B's envd.yaml does) is still
  // compared, and the report says it does not validate.
  if (!/^https?:\/\//i.test(source)) return loadSpec(source, { lenient: true });

  let text: string;
  try {
    const response = await fetch(source, { signal: AbortSignal.timeout(FETCH_TIMEOUT_MS) });
    if (!response.ok) throw new Error(`the server answered ${response.status} ${response.statusText}`.trim());
    text = await response.text();
  } catch (error) {
    const reason = (error as Error).message.replace(/\.$/, '');
    throw new Error(
      `Failed to fetch the upstream document ${source}: ${reason}. Check the URL, or download the document and pass its path.`,
    );
  }

  const dir = await mkdtemp(join(tmpdir(), 'sandbox-emulator-drift-'));
  const name = new URL(source).pathname.split('/').pop() || 'openapi.yaml';
  const file = join(dir, name);
  try {
    await writeFile(file, text, 'utf8');
    const loaded = await loadSpec(file, { lenient: true });
    return { ...loaded, file: source };
  } catch (error) {
    if (error instanceof SpecLoadError) throw new SpecLoadError(source, error.fault);
    throw error;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

export interface RunDriftOptions {
  provider: string;
  /** A file path or an http(s) URL of the provider's published document. */
  upstream: string;
  /** The folder holding our documents, `<provider>.yaml` each. */
  specsDir: string;
  /** Limit the report to these operations (`GET /x/{id}`, our path without the upstream prefix). */
  operations?: readonly string[];
}

function isProvider(name: string): name is DriftProvider {
  return (DRIFT_PROVIDERS as readonly string[]).includes(name);
}

/** Loads both documents, compares them and renders the report: what `sandbox-emulator drift` prints. */
export async function runDrift({ provider, upstream, specsDir, operations }: RunDriftOptions): Promise<{ report: DriftReport; text: string }> {
  if (!isProvider(provider)) {
    throw new Error(`Failed to run the drift check: unknown provider '${provider}'. Use one of ${DRIFT_PROVIDERS.join(', ')}.`);
  }
  const [ours, theirs] = await Promise.all([loadSpec(join(specsDir, `${provider}.yaml`)), loadUpstream(upstream)]);
  let report = compareDocuments(ours.document, theirs.document);
  if (operations) {
    const known = new Set([...report.sharedOperations, ...report.differences.map((d) => d.operation), ...report.describedElsewhere.map((d) => d.operation)]);
    const unknown = operations.filter((op) => !known.has(op));
    if (unknown.length > 0) {
      throw new Error(
        `Failed to run the drift check: ${unknown.map((op) => `'${op}'`).join(', ')} is not an operation of ${provider}.yaml. ` +
          'Name operations as METHOD and our path without the upstream prefix, e.g. GET /process/{identifier}/logs.',
      );
    }
    report = filterDriftReport(report, operations);
  }
  const text = formatDriftReport(report, { provider, upstream });
  return { report, text: theirs.invalid ? `Note: the upstream document does not validate, and is compared as it is: ${theirs.invalid}\n${text}` : text };
}
