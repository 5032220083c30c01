// Request generators derived from the OpenAPI documents: for every operation a mount serves,
// fast-check arbitraries that build valid requests (from its parameters and request-body
// schema) and invalid ones (one or more named mutations of a valid one). The robustness suites
// send them over HTTP and check that every answer is one the document declares.

import fc from 'fast-check';
import { createSchemaAjv } from '../openapi/schema-ajv.ts';
import { operationsOf, type JsonSchema, type ParameterObject } from '../openapi/openapi-types.ts';
import type { Mount } from '../openapi/pipeline.ts';

/** One operation as a generator needs it: where it lives, what it takes, what it may answer. */
export interface OperationTarget {
  mountId: string;
  operationId: string;
  /** Upper case. */
  method: string;
  /** The document's path template, e.g. `/process/{identifier}`. */
  pathTemplate: string;
  parameters: ParameterObject[];
  body?: { required: boolean; mediaTypes: string[]; schema: JsonSchema; json: boolean };
  /** Every media type any of its responses declares (what an `Accept` header may ask for). */
  responseMediaTypes: string[];
  /** The document's version, so leaf values are checked by the rules the document is written in. */
  openapi: string;
}

const JSON_TYPE = /^application\/([\w.+-]*\+)?json\b/i;

/** The operations a mount serves (its router may keep only part of the document). */
export function operationTargets(mount: Mount): OperationTarget[] {
  const served = new Set(mount.router.operationIds);
  const document = mount.router.spec.document;
  return operationsOf(document)
    .filter(({ operation }) => operation.operationId && served.has(operation.operationId))
    .map(({ path, method, operation, parameters }) => {
      const content = operation.requestBody?.content ?? {};
      const mediaTypes = Object.keys(content);
      const jsonType = mediaTypes.find((t) => JSON_TYPE.test(t));
      const bodyType = jsonType ?? mediaTypes[0];
      const responseMediaTypes = [...new Set(Object.values(operation.responses ?? {}).flatMap((r) => Object.keys(r.content ?? {})))];
      return {
        mountId: mount.id,
        operationId: operation.operationId!,
        method: method.toUpperCase(),
        pathTemplate: path,
        parameters,
        body: bodyType
          ? { required: operation.requestBody?.required ?? false, mediaTypes, schema: content[bodyType].schema ?? {}, json: jsonType !== undefined }
          : undefined,
        responseMediaTypes,
        openapi: document.openapi,
      };
    });
}

// ---------------------------------------------------------------------------------------------
// Placeholders: values decided when a request is sent, not when it is generated.

/**
 * A value only known at send time (the pid of a process the batch's fixtures started, the id
 * of a sandbox they made). Generators hand these out; `renderRequest` resolves them.
 */
export class Known {
  constructor(readonly key: string) {}
  [fc.toStringMethod](): string {
    return `known(${JSON.stringify(this.key)})`;
  }
}

export const known = (key: string): Known => new Known(key);

/**
 * A long string, kept as a recipe so that a counterexample prints in one line instead of
 * megabytes, and a batch does not hold every huge value in memory twice.
 */
export class Huge {
  constructor(
    readonly unit: string,
    readonly count: number,
  ) {}
  expand(): string {
    return this.unit.repeat(this.count);
  }
  [fc.toStringMethod](): string {
    return `huge(${JSON.stringify(this.unit)} x ${this.count})`;
  }
}

// ---------------------------------------------------------------------------------------------
// Strings.

const MiB = 1024 * 1024;

/** Strings that have broken parsers, path handling and encoders before. */
export const NASTY_STRINGS: readonly string[] = [
  '',
  ' ',
  '.',
  '..',
  '../',
  '../../../../etc/passwd',
  '..%2F..%2Fetc%2Fpasswd',
  '%2e%2e%2f',
  '%00',
  'a%00b',
  '%',
  '%zz',
  '%E0%A4%A',
  '\u0000',
  'a\u0000b',
  '\uD800',
  '\uDFFF',
  'a\uD83D',
  '\uDE00z',
  '\u202Eevil\u202C',
  '\u200F\u05E9\u05DC\u05D5\u05DD',
  '\u0627\u0644\u0639\u0631\u0628\u064A\u0629',
  '👩‍👩‍👧‍👦',
  '🇺🇳',
  'e\u0301',
  '\uFEFF',
  '\u00A0',
  '\u2028\u2029',
  '\r\n',
  '\t',
  '\\',
  '"',
  "'",
  '`',
  '${HOME}',
  '$(true)',
  ';',
  '|',
  '&',
  '*',
  '?',
  '#',
  '/',
  '//',
  '~',
  '~/x',
  '-1',
  '0',
  '+1',
  '007',
  '1e3',
  '2147483648',
  '99999999999999999999',
  'NaN',
  'null',
  'true',
  '{}',
  '[]',
  'Ω≈ç√∫',
  'ＡＢＣ',
];

/** Any code unit, lone surrogates included (fast-check's own units never produce those). */
const anyCodeUnit = fc.oneof(
  { weight: 6, arbitrary: fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }) },
  { weight: 1, arbitrary: fc.integer({ min: 0xd800, max: 0xdfff }).map((u) => String.fromCharCode(u)) },
  { weight: 1, arbitrary: fc.constantFrom('\u0000', '\u202E', '\u200F', '\uFEFF', '/', '.', '%', '\\') },
);

/**
 * Strings as a client might send them: mostly short and plain, often odd Unicode (lone
 * surrogates, RTL marks, emoji, NUL), sometimes a known nasty value, now and then 10k long.
 */
export function oddString(options: { maxLength?: number } = {}): fc.Arbitrary<string | Huge> {
  const maxLength = options.maxLength ?? 24;
  return fc.oneof(
    { weight: 5, arbitrary: fc.string({ maxLength }) },
    { weight: 4, arbitrary: fc.string({ unit: anyCodeUnit, maxLength }) },
    { weight: 2, arbitrary: fc.string({ unit: 'grapheme', maxLength }) },
    { weight: 3, arbitrary: fc.constantFrom(...NASTY_STRINGS) },
    { weight: 1, arbitrary: fc.constantFrom('a', '../', '%00', '\u00e9', 'ab/').map((unit) => new Huge(unit, Math.ceil(10_000 / unit.length))) },
  );
}

/** 64 KiB to 1 MiB of one character: big enough to hurt a careless buffer, small enough to send often. */
const hugeString: fc.Arbitrary<Huge> = fc
  .tuple(fc.constantFrom('x', '\u00e9', '😀', '\u0000', '../'), fc.integer({ min: 64 * 1024, max: MiB }))
  .map(([unit, bytes]) => new Huge(unit, Math.ceil(bytes / Buffer.byteLength(unit))));

// ---------------------------------------------------------------------------------------------
// Values from schemas.

/** Where a value sits in a request: `body.command`, `body.env{}` (a map's keys), `path.pid`, ... */
export type Location = string;

export interface GeneratorHints {
  /**
   * Valid values to use at a location instead of the ones derived from its schema, keyed
   * `operationId:location` or just `location`. This is how a suite keeps commands harmless
   * (`body.command` from a small safe set) and points ids at things that exist (`known(...)`).
   * Map keys are `location{}`, array items `location[]`, mount prefix variables `vars.<name>`.
   */
  valid?: Record<string, fc.Arbitrary<unknown>>;
  /**
   * Locations where an invalid value may only be of the wrong type (never another string),
   * e.g. a command field: whatever the fuzzer invents there must not be runnable.
   */
  typeOnly?: readonly string[];
}

interface WalkContext {
  target: OperationTarget;
  hints: GeneratorHints;
  depth: number;
}

function hintFor(ctx: WalkContext, loc: Location): fc.Arbitrary<unknown> | undefined {
  return ctx.hints.valid?.[`${ctx.target.operationId}:${loc}`] ?? ctx.hints.valid?.[loc];
}

function isTypeOnly(ctx: Pick<WalkContext, 'target' | 'hints'>, loc: Location): boolean {
  const list = ctx.hints.typeOnly ?? [];
  return list.includes(loc) || list.includes(`${ctx.target.operationId}:${loc}`);
}

function typesOf(schema: JsonSchema): string[] {
  const declared: string[] = Array.isArray(schema.type) ? schema.type : schema.type ? [schema.type] : [];
  if (schema.nullable && !declared.includes('null')) declared.push('null');
  if (declared.length === 0 && schema.properties) return ['object'];
  return declared;
}

const checkers = new Map<string, (value: unknown) => boolean>();

/** A leaf value checked by the document's own dialect, so a generated "valid" value really is. */
function validatorFor(schema: JsonSchema, openapi: string): (value: unknown) => boolean {
  const key = `${openapi}\u0000${JSON.stringify(schema)}`;
  let check = checkers.get(key);
  if (!check) {
    const ajv = createSchemaAjv(openapi);
    const compiled = ajv.compile(schema);
    check = (value) => compiled(value) as boolean;
    checkers.set(key, check);
  }
  return check;
}

/** A valid value for a schema (with hints applied at `loc`). */
function validValue(schema: JsonSchema | undefined, loc: Location, ctx: WalkContext): fc.Arbitrary<unknown> {
  const hinted = hintFor(ctx, loc);
  if (hinted) {
    // A hint narrows the values, it does not widen them: what the schema refuses is left out
    // (a placeholder is judged when it is resolved, by the server).
    if (!schema || !hasConstraints(schema)) return hinted;
    const check = validatorFor(schema, ctx.target.openapi);
    return hinted.filter((value) => value instanceof Known || check(value instanceof Huge ? value.expand() : value));
  }
  if (!schema || Object.keys(schema).length === 0) return fc.jsonValue({ maxDepth: 2 });
  if (schema.enum) return fc.constantFrom(...(schema.enum as unknown[]));
  if (schema.const !== undefined) return fc.constant(schema.const);
  const branches = (schema.oneOf ?? schema.anyOf) as JsonSchema[] | undefined;
  if (branches && !typesOf(schema).length) return fc.oneof(...branches.map((b) => validValue(b, loc, ctx)));
  const types = typesOf(schema);
  if (types.length > 1) return fc.oneof(...types.map((type) => validValue({ ...schema, type, nullable: false }, loc, ctx)));
  switch (types[0]) {
    case 'null':
      return fc.constant(null);
    case 'boolean':
      return fc.boolean();
    case 'integer':
      return integerValue(schema);
    case 'number':
      return numberValue(schema);
    case 'string':
      return stringValue(schema, ctx);
    case 'array':
      return fc.array(validValue(schema.items, `${loc}[]`, { ...ctx, depth: ctx.depth + 1 }), {
        minLength: schema.minItems ?? 0,
        maxLength: Math.max(schema.minItems ?? 0, Math.min(schema.maxItems ?? 4, 4)),
      });
    case 'object':
      return objectValue(schema, loc, ctx);
    default:
      return fc.jsonValue({ maxDepth: 2 });
  }
}

function hasConstraints(schema: JsonSchema): boolean {
  return ['pattern', 'not', 'minLength', 'maxLength', 'format', 'enum', 'minimum', 'maximum', 'type'].some((k) => k in schema);
}

function integerValue(schema: JsonSchema): fc.Arbitrary<number> {
  const int32 = schema.format === 'int32';
  const min = schema.minimum ?? (int32 ? -(2 ** 31) : Number.MIN_SAFE_INTEGER);
  const max = schema.maximum ?? (int32 ? 2 ** 31 - 1 : Number.MAX_SAFE_INTEGER);
  const edges = [min, max, 0, 1, -1, 2 ** 31 - 1, 2 ** 31, 60, 65535].filter((n) => n >= min && n <= max);
  // Small values most often, the bounds and famous edges sometimes, anything in range now and then
  // (no filters: a narrow range would starve one).
  return fc.oneof(
    { weight: 4, arbitrary: fc.integer({ min: Math.max(min, -1000), max: Math.min(max, 1000) }) },
    { weight: 1, arbitrary: fc.constantFrom(...edges) },
    { weight: 1, arbitrary: fc.integer({ min, max }) },
  );
}

function numberValue(schema: JsonSchema): fc.Arbitrary<number> {
  const min = schema.minimum ?? -1e12;
  const max = schema.maximum ?? 1e12;
  return fc.oneof(fc.double({ min, max, noNaN: true, noDefaultInfinity: true }), fc.integer({ min: Math.max(min, -1000), max: Math.min(max, 1000) }));
}

function stringValue(schema: JsonSchema, ctx: WalkContext): fc.Arbitrary<unknown> {
  const base: fc.Arbitrary<unknown> = schema.pattern ? fc.stringMatching(new RegExp(schema.pattern), { maxLength: 24 }) : oddString();
  const needsCheck = schema.pattern || schema.not || schema.minLength !== undefined || schema.maxLength !== undefined || schema.format;
  if (!needsCheck) return base;
  const check = validatorFor(schema, ctx.target.openapi);
  // Huge values are always long enough; check the expansion only when a bound could refuse it.
  return base.filter((value) => check(value instanceof Huge ? value.expand() : value));
}

function objectValue(schema: JsonSchema, loc: Location, ctx: WalkContext): fc.Arbitrary<Record<string, unknown>> {
  const props = (schema.properties ?? {}) as Record<string, JsonSchema>;
  const required = new Set<string>(schema.required ?? []);
  // `oneOf: [{required: [a]}, {required: [b]}]`: exactly one of the alternatives, chosen below.
  const alternatives = ((schema.oneOf ?? []) as JsonSchema[]).filter((b) => Array.isArray(b.required) && !b.type && !b.properties);
  const deeper = { ...ctx, depth: ctx.depth + 1 };
  const build = (must: Set<string>, exclude: Set<string>) => {
    const record: Record<string, fc.Arbitrary<unknown>> = {};
    for (const [name, sub] of Object.entries(props)) {
      if (exclude.has(name)) continue;
      record[name] = validValue(sub, `${loc}.${name}`, deeper);
    }
    const requiredKeys = Object.keys(record).filter((k) => must.has(k));
    const fixed = fc.record(record, { requiredKeys });
    const extra = schema.additionalProperties;
    if (!extra || typeof extra !== 'object' || ctx.depth > 3) return fixed;
    const keys = (hintFor(ctx, `${loc}{}`) as fc.Arbitrary<string> | undefined) ?? oddString().filter((k): k is string => typeof k === 'string');
    const map = fc.dictionary(keys, validValue(extra, `${loc}.*`, deeper), { maxKeys: 3 });
    return fc.tuple(map, fixed).map(([m, f]) => ({ ...m, ...f }));
  };
  if (alternatives.length === 0) return build(required, new Set());
  return fc.oneof(
    ...alternatives.map((alt) => {
      const chosen = new Set<string>(alt.required);
      const others = new Set<string>(alternatives.flatMap((a) => a.required as string[]).filter((k) => !chosen.has(k)));
      return build(new Set([...required, ...chosen]), others);
    }),
  );
}

/** JSON values of every type but the ones the schema allows. */
function wrongTypeValue(schema: JsonSchema | undefined): fc.Arbitrary<unknown> {
  const allowed = new Set(schema ? typesOf(schema) : []);
  if (allowed.has('number')) allowed.add('integer');
  const candidates: Array<[string, fc.Arbitrary<unknown>]> = [
    ['string', fc.constantFrom('x', '', '1', 'true', '\u0000')],
    ['integer', fc.constantFrom(0, 1, -1, 2 ** 53, 2 ** 31)],
    ['number', fc.constantFrom(1.5, -0.25, 1e300)],
    ['boolean', fc.boolean()],
    ['null', fc.constant(null)],
    ['array', fc.constantFrom([], ['x'], [1, 2], [[]])],
    ['object', fc.constantFrom({}, { a: 1 }, { command: 5 })],
  ];
  const wrong = candidates.filter(([type]) => !allowed.has(type));
  // Every type is allowed (no schema): a type error is impossible, so anything goes.
  if (wrong.length === 0 || allowed.size === 0) return fc.jsonValue({ maxDepth: 1 });
  return fc.oneof(...wrong.map(([, arb]) => arb));
}

/** A value of the right type that breaks a constraint (enum, bounds, pattern, length), if any. */
function constraintBreakingValue(schema: JsonSchema): fc.Arbitrary<unknown> | undefined {
  const options: fc.Arbitrary<unknown>[] = [];
  if (schema.enum) options.push(fc.constantFrom('not-in-enum', '', 'CLOSED', `${String(schema.enum[0])} `));
  if (typeof schema.minimum === 'number') options.push(fc.constant(schema.minimum - 1));
  if (typeof schema.maximum === 'number') options.push(fc.constant(schema.maximum + 1));
  if (typesOf(schema).includes('integer')) options.push(fc.constantFrom(1.5, 2 ** 64));
  if (schema.format === 'int32') options.push(fc.constantFrom(2 ** 31, -(2 ** 31) - 1));
  if (typeof schema.minLength === 'number' && schema.minLength > 0) options.push(fc.constant(''));
  if (schema.pattern || schema.not) options.push(fc.constantFrom('a/b', '123', '/', ''));
  return options.length > 0 ? fc.oneof(...options) : undefined;
}

// ---------------------------------------------------------------------------------------------
// Schema locations: every property a mutation may aim at.

interface SchemaSlot {
  /** Keys from the body's root, e.g. ['metadata', 'name']. */
  path: string[];
  loc: Location;
  schema: JsonSchema;
  required: boolean;
}

function slotsOf(schema: JsonSchema, path: string[] = [], loc = 'body', depth = 0): SchemaSlot[] {
  const out: SchemaSlot[] = [];
  if (depth > 4 || !schema?.properties) return out;
  const required = new Set<string>(schema.required ?? []);
  for (const [name, sub] of Object.entries(schema.properties as Record<string, JsonSchema>)) {
    const slot = { path: [...path, name], loc: `${loc}.${name}`, schema: sub, required: required.has(name) };
    out.push(slot);
    out.push(...slotsOf(sub, slot.path, slot.loc, depth + 1));
  }
  return out;
}

function setAt(root: Record<string, unknown>, path: string[], value: unknown): Record<string, unknown> {
  const copy = { ...root };
  if (path.length === 1) {
    copy[path[0]] = value;
    return copy;
  }
  const child = copy[path[0]];
  copy[path[0]] = setAt(child && typeof child === 'object' && !Array.isArray(child) ? (child as Record<string, unknown>) : {}, path.slice(1), value);
  return copy;
}

function deleteAt(root: Record<string, unknown>, path: string[]): Record<string, unknown> {
  const copy = { ...root };
  if (path.length === 1) {
    delete copy[path[0]];
    return copy;
  }
  const child = copy[path[0]];
  if (!child || typeof child !== 'object' || Array.isArray(child)) return copy;
  copy[path[0]] = deleteAt(child as Record<string, unknown>, path.slice(1));
  return copy;
}

// ---------------------------------------------------------------------------------------------
// Requests.

/** How a path segment is put on the wire. */
export type SegmentEncoding =
  /** Every byte but the unreserved ones percent-encoded: what a correct client sends. */
  | 'component'
  /** `/` left as is: `../` in an id becomes real path segments (the server resolves them). */
  | 'raw-slash'
  /** `%` left as is: `%00` in an id reaches the server as an escaped NUL, `%zz` as a broken escape. */
  | 'raw-percent';

export interface Segment {
  value: unknown;
  encoding: SegmentEncoding;
}

export type BodyPlan =
  | { kind: 'none' }
  /** JSON text of `value`; `pad` adds a field of that many bytes; `duplicate` repeats a key, first with a wrong value. */
  | { kind: 'json'; value: unknown; pad?: number; duplicate?: { key: string; first: unknown } }
  /** Bytes: `text` as UTF-8 (or UTF-16 LE, or one byte per code unit: latin1), or `size` bytes of one value. */
  | { kind: 'raw'; text?: string; utf16?: boolean; latin1?: boolean; size?: number; byte?: number }
  /** Arrays nested this deep: `[[[...]]]`. */
  | { kind: 'nested'; depth: number };

/** A request as generated: structured, with placeholders; `renderRequest` makes it bytes. */
export interface RequestPlan {
  operationId: string;
  mountId: string;
  /** True when no mutation was applied (the request follows the document). */
  valid: boolean;
  /** What was done to the valid request, e.g. ['body:wrong-type body.timeout', 'content-type']. */
  mutations: string[];
  method: string;
  prefix: { template: string; values: Record<string, Segment> };
  path: { template: string; values: Record<string, Segment>; suffix: string };
  query: Array<[string, unknown]>;
  headers: Record<string, string>;
  body: BodyPlan;
}

export interface RequestArbitraryOptions extends GeneratorHints {
  /**
   * Mount prefixes as the transport serves them, `:name` for a variable
   * (e.g. `/blaxel/sandboxes/:sandbox`); values come from the hints at `vars.<name>`.
   */
  prefixes: readonly string[];
  /** Weight of invalid requests against valid ones, out of 10. Default 6. */
  invalidWeight?: number;
}

const METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'HEAD'] as const;

/** Header values Node will send: printable Latin-1, no CR/LF/NUL. */
const headerText = fc.string({ unit: fc.integer({ min: 0x20, max: 0xff }).filter((c) => c !== 0x7f).map((c) => String.fromCharCode(c)), maxLength: 40 });

const WRONG_CONTENT_TYPES = [
  'text/plain',
  'text/plain; charset=utf-8',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=x',
  'application/jsonx',
  'application/json; charset=utf-16',
  'application/xml',
  'application/octet-stream',
  '*/*',
  '',
  'json',
  'APPLICATION/JSON',
  'application/vnd.api+json',
];

function segmentArb(valid: fc.Arbitrary<unknown>, invalid: boolean): fc.Arbitrary<Segment> {
  const encoding = fc.oneof(
    { weight: 6, arbitrary: fc.constant<SegmentEncoding>('component') },
    { weight: 2, arbitrary: fc.constant<SegmentEncoding>('raw-slash') },
    { weight: 2, arbitrary: fc.constant<SegmentEncoding>('raw-percent') },
  );
  const value = invalid ? fc.oneof({ weight: 2, arbitrary: valid }, { weight: 3, arbitrary: oddString() }) : valid;
  return fc.record({ value, encoding: invalid ? encoding : fc.constant<SegmentEncoding>('component') });
}

function templateVariables(template: string): string[] {
  return [...template.matchAll(/\{([^}]+)\}|:([A-Za-z_]\w*)/g)].map((m) => m[1] ?? m[2]);
}

function queryValue(schema: JsonSchema | undefined, loc: Location, ctx: WalkContext): fc.Arbitrary<unknown> {
  return validValue(schema, loc, ctx).map((v) => (typeof v === 'object' && v !== null && !(v instanceof Known) && !(v instanceof Huge) ? JSON.stringify(v) : v));
}

/**
 * Requests for one operation: valid ones (every required parameter and field present and well
 * typed, optional ones sometimes), and invalid ones, each carrying the list of mutations that
 * made it so.
 */
export function requestArbitrary(target: OperationTarget, options: RequestArbitraryOptions): fc.Arbitrary<RequestPlan> {
  const ctx: WalkContext = { target, hints: options, depth: 0 };
  const invalidWeight = options.invalidWeight ?? 6;
  return fc
    .oneof({ weight: 10 - invalidWeight, arbitrary: buildRequest(target, options, ctx, false) }, { weight: invalidWeight, arbitrary: buildRequest(target, options, ctx, true) })
    .map((plan) => Object.defineProperty(plan, fc.toStringMethod, { value: () => summary(plan), enumerable: false }));
}

/** How fast-check prints a plan in a counterexample: one short line, not the whole structure. */
function summary(plan: RequestPlan): string {
  return `${plan.operationId}[${plan.valid ? 'valid' : plan.mutations.join(', ')}]`;
}

function buildRequest(target: OperationTarget, options: RequestArbitraryOptions, ctx: WalkContext, invalid: boolean): fc.Arbitrary<RequestPlan> {
  const prefix = fc.constantFrom(...options.prefixes).chain((template) =>
    fc.record(Object.fromEntries(templateVariables(template).map((name) => [name, segmentArb(validValue({ type: 'string', minLength: 1 }, `vars.${name}`, ctx), invalid)]))).map((values) => ({
      template,
      values: values as Record<string, Segment>,
    })),
  );
  const pathParams = target.parameters.filter((p) => p.in === 'path');
  const path = fc.record(Object.fromEntries(pathParams.map((p) => [p.name, segmentArb(validValue(p.schema, `path.${p.name}`, ctx), invalid)]))).map((values) => ({
    template: target.pathTemplate,
    values: values as Record<string, Segment>,
    suffix: '',
  }));
  const queryParams = target.parameters.filter((p) => p.in === 'query');
  const query = fc
    .tuple(...queryParams.map((p) => (p.required ? queryValue(p.schema, `query.${p.name}`, ctx) : fc.option(queryValue(p.schema, `query.${p.name}`, ctx), { nil: undefined }))))
    .map((values) => queryParams.flatMap((p, i): Array<[string, unknown]> => (values[i] === undefined ? [] : [[p.name, values[i]]])));
  const headerParams = target.parameters.filter((p) => p.in === 'header');
  const headers = fc
    .tuple(
      ...headerParams.map((p) => {
        // A header holds printable ASCII, or a value known at send time (the sandbox E2B's envd is asked about).
        const value = validValue(p.schema, `header.${p.name}`, ctx).filter((v): v is string | Known => v instanceof Known || (typeof v === 'string' && /^[\x20-\x7e]*$/.test(v)));
        return p.required ? value : fc.option(value, { nil: undefined });
      }),
      target.responseMediaTypes.length > 0 ? fc.option(fc.constantFrom(...target.responseMediaTypes, '*/*', 'application/json, text/event-stream'), { nil: undefined }) : fc.constant(undefined),
    )
    .map((values) => {
      const out: Record<string, string> = {};
      headerParams.forEach((p, i) => {
        // A Known stays a placeholder until renderRequest resolves it.
        if (values[i] !== undefined) out[p.name.toLowerCase()] = values[i] as string;
      });
      const accept = values[headerParams.length];
      if (accept !== undefined) out.accept = accept as string;
      return out;
    });
  const body: fc.Arbitrary<BodyPlan> = target.body
    ? target.body.json
      ? validValue(target.body.schema, 'body', ctx).map((value) => ({ kind: 'json' as const, value }))
      : fc.oneof(
          fc.string({ unit: anyCodeUnit, maxLength: 64 }).map((text) => ({ kind: 'raw' as const, text })),
          fc.integer({ min: 0, max: 64 * 1024 }).map((size) => ({ kind: 'raw' as const, size, byte: 0x61 })),
        )
    : fc.constant({ kind: 'none' as const });
  const valid = fc.record({ prefix, path, query, headers, body }).map(
    (parts): RequestPlan => ({
      operationId: target.operationId,
      mountId: target.mountId,
      valid: true,
      mutations: [],
      method: target.method,
      ...parts,
      headers: target.body ? { 'content-type': target.body.mediaTypes.find((t) => JSON_TYPE.test(t)) ?? target.body.mediaTypes[0], ...parts.headers } : parts.headers,
    }),
  );
  if (!invalid) return valid;
  // One to three mutations, applied in order to a valid request.
  const mutation = fc.oneof(...mutationsFor(target, ctx));
  return fc.tuple(valid, fc.array(mutation, { minLength: 1, maxLength: 3 })).map(([plan, mutations]) => {
    let out: RequestPlan = { ...plan, valid: false };
    for (const mutate of mutations) out = mutate(out);
    return out;
  });
}

type Mutation = (plan: RequestPlan) => RequestPlan;

function mutated(plan: RequestPlan, label: string, change: Partial<RequestPlan>): RequestPlan {
  return { ...plan, ...change, mutations: [...plan.mutations, label] };
}

function withJsonBody(plan: RequestPlan, label: string, change: (value: Record<string, unknown>) => Record<string, unknown> | undefined): RequestPlan {
  if (plan.body.kind !== 'json' || !plan.body.value || typeof plan.body.value !== 'object' || Array.isArray(plan.body.value)) return plan;
  const value = change(plan.body.value as Record<string, unknown>);
  return value ? mutated(plan, label, { body: { ...plan.body, value } }) : plan;
}

/** The mutations that make sense for an operation: each an arbitrary of a function on a plan. */
function mutationsFor(target: OperationTarget, ctx: WalkContext): fc.Arbitrary<Mutation>[] {
  const out: fc.Arbitrary<Mutation>[] = [];
  const body = target.body;

  // Method and path shape: the request no longer reaches this operation, or reaches another.
  out.push(fc.constantFrom(...METHODS.filter((m) => m !== target.method)).map((method): Mutation => (plan) => mutated(plan, `method ${method}`, { method })));
  out.push(
    fc.constantFrom('/', '//', '/x', '/..', '/%2e%2e', '/../..', '?', '/%00').map(
      (suffix): Mutation =>
        (plan) =>
          mutated(plan, `path suffix ${JSON.stringify(suffix)}`, { path: { ...plan.path, suffix: plan.path.suffix + suffix } }),
    ),
  );

  // Query: unknown parameters, duplicates, and wrong or constraint-breaking values.
  out.push(
    fc.tuple(oddString({ maxLength: 8 }), oddString()).map(
      ([name, value]): Mutation =>
        (plan) =>
          mutated(plan, 'query extra', { query: [...plan.query, [name instanceof Huge ? 'pad' : name || 'x', value]] }),
    ),
  );
  for (const p of target.parameters.filter((q) => q.in === 'query')) {
    const breaking = constraintBreakingValue(p.schema ?? {});
    const wrong = fc.oneof(
      fc.constantFrom('abc', '', '1.5', '-1', '1e3', '99999999999999999999', '0x10', ' 1', 'true', '%zz'),
      oddString(),
      ...(breaking ? [breaking.map((v) => String(v))] : []),
    );
    out.push(wrong.map((value): Mutation => (plan) => mutated(plan, `query ${p.name}`, { query: [...plan.query.filter(([k]) => k !== p.name), [p.name, value]] })));
    out.push(
      fc.tuple(queryValue(p.schema, `query.${p.name}`, ctx), wrong).map(
        ([a, b]): Mutation =>
          (plan) =>
            mutated(plan, `query ${p.name} twice`, { query: [...plan.query, [p.name, a], [p.name, b]] }),
      ),
    );
  }

  // Headers: wrong content types, odd header parameters, junk accept values.
  out.push(
    fc.option(fc.constantFrom(...WRONG_CONTENT_TYPES), { nil: undefined }).map((type): Mutation => (plan) => {
      const headers = { ...plan.headers };
      if (type === undefined) delete headers['content-type'];
      else headers['content-type'] = type;
      return mutated(plan, `content-type ${type ?? '(none)'}`, { headers });
    }),
  );
  out.push(fc.tuple(fc.constantFrom('accept', 'x-blaxel-workspace', 'x-request-id', 'authorization'), headerText).map(([name, value]): Mutation => (plan) => mutated(plan, `header ${name}`, { headers: { ...plan.headers, [name]: value } })));

  // Bodies of any operation: none, empty, not JSON, too big, absurdly nested, wrong encoding.
  out.push(fc.constant<Mutation>((plan) => mutated(plan, 'body empty', { body: { kind: 'raw', text: '' } })));
  out.push(
    fc
      .oneof(
        fc.constantFrom('{', '}', '{"command":', 'nul', 'NaN', "{'command':'true'}", '{"a":1,}', '\uFEFF{}', '{"a":"\\ud800"}', '{"a":"\\x"}', '[1,2', '\u0000', 'null null'),
        fc.string({ unit: anyCodeUnit, maxLength: 64 }),
      )
      .map((text): Mutation => (plan) => mutated(plan, 'body not JSON', { body: { kind: 'raw', text } })),
  );
  out.push(
    fc.tuple(fc.integer({ min: 2 * MiB, max: 4 * MiB }), fc.constantFrom(0x7b, 0x61, 0x00, 0xff)).map(
      ([size, byte]): Mutation =>
        (plan) =>
          mutated(plan, `body ${size} bytes of 0x${byte.toString(16)}`, { body: { kind: 'raw', size, byte } }),
    ),
  );
  out.push(fc.integer({ min: 1_000, max: 20_000 }).map((depth): Mutation => (plan) => mutated(plan, `body nested ${depth}`, { body: { kind: 'nested', depth } })));
  if (target.body?.json || !target.body) {
    out.push(fc.jsonValue({ maxDepth: 2 }).filter((v) => typeof v !== 'object' || v === null || Array.isArray(v)).map((value): Mutation => (plan) => mutated(plan, 'body top-level type', { body: { kind: 'json', value } })));
  }
  if (!body) return out;

  if (body.json) {
    const slots = slotsOf(body.schema);
    // Oversized but otherwise valid: a padding field of a few MiB.
    out.push(fc.integer({ min: 2 * MiB, max: 4 * MiB }).map((pad): Mutation => (plan) => (plan.body.kind === 'json' ? mutated(plan, `body padded ${pad}`, { body: { ...plan.body, pad } }) : plan)));
    // The same body encoded as UTF-16, which a JSON parser reading UTF-8 cannot read.
    out.push(
      fc.constant<Mutation>((plan) =>
        plan.body.kind === 'json' ? mutated(plan, 'body utf-16', { body: { kind: 'raw', text: JSON.stringify(resolveForText(plan.body.value)), utf16: true } }) : plan,
      ),
    );
    // Extra fields, at the root or in a nested object.
    const objectSlots = [{ path: [] as string[] }, ...slots.filter((s) => typesOf(s.schema).includes('object')).map((s) => ({ path: s.path }))];
    out.push(
      fc.tuple(fc.constantFrom(...objectSlots), oddString({ maxLength: 12 }), fc.jsonValue({ maxDepth: 2 })).map(
        ([slot, key, value]): Mutation =>
          (plan) =>
            withJsonBody(plan, `body extra ${['body', ...slot.path].join('.')}`, (root) => {
              const name = key instanceof Huge ? 'extra' : key;
              return slot.path.length === 0 ? { ...root, [name]: value } : setAt(root, [...slot.path, name], value);
            }),
      ),
    );
    if (slots.length > 0) {
      // A wrong type somewhere; type-only locations (commands) get nothing but a wrong type.
      out.push(
        fc.constantFrom(...slots).chain((slot) =>
          wrongTypeValue(slot.schema).map(
            (value): Mutation =>
              (plan) =>
                withJsonBody(plan, `body wrong type ${slot.loc}`, (root) => setAt(root, slot.path, value)),
          ),
        ),
      );
      // A well-typed value that breaks a constraint.
      const constrained = slots.filter((s) => !isTypeOnly(ctx, s.loc) && constraintBreakingValue(s.schema));
      if (constrained.length > 0) {
        out.push(
          fc.constantFrom(...constrained).chain((slot) =>
            constraintBreakingValue(slot.schema)!.map(
              (value): Mutation =>
                (plan) =>
                  withJsonBody(plan, `body breaks constraint ${slot.loc}`, (root) => setAt(root, slot.path, value)),
            ),
          ),
        );
      }
      // Missing fields, required ones above all.
      const required = slots.filter((s) => s.required);
      out.push(
        fc.constantFrom(...(required.length > 0 ? required : slots)).map(
          (slot): Mutation =>
            (plan) =>
              withJsonBody(plan, `body missing ${slot.loc}`, (root) => deleteAt(root, slot.path)),
        ),
      );
      // Huge and odd strings where strings go (never where a command goes).
      const strings = slots.filter((s) => typesOf(s.schema).includes('string') && !isTypeOnly(ctx, s.loc));
      if (strings.length > 0) {
        out.push(
          fc.tuple(fc.constantFrom(...strings), fc.oneof(hugeString, oddString())).map(
            ([slot, value]): Mutation =>
              (plan) =>
                withJsonBody(plan, `body string ${slot.loc}`, (root) => setAt(root, slot.path, value)),
          ),
        );
      }
      // A key given twice, first with a wrong value: parsers differ on which one wins.
      out.push(
        fc.tuple(fc.constantFrom(...slots.filter((s) => s.path.length === 1)), fc.constantFrom(5, null, [], {})).map(
          ([slot, first]): Mutation =>
            (plan) =>
              plan.body.kind === 'json' && plan.body.value && typeof plan.body.value === 'object' && slot.path[0] in (plan.body.value as object)
                ? mutated(plan, `body duplicate key ${slot.loc}`, { body: { ...plan.body, duplicate: { key: slot.path[0], first } } })
                : plan,
        ),
      );
    }
  } else {
    // Raw bodies (stdin bytes): big, empty, or sent as JSON.
    out.push(fc.integer({ min: 2 * MiB, max: 4 * MiB }).map((size): Mutation => (plan) => mutated(plan, `stdin ${size} bytes`, { body: { kind: 'raw', size, byte: 0x0a } })));
  }
  return out;
}

/** Known and Huge replaced for a text rendering that needs no lookup (a UTF-16 body). */
function resolveForText(value: unknown): unknown {
  return resolvePlaceholders(value, (key) => key);
}

/** Replaces placeholders in a value: Known through `lookup`, Huge by its expansion. */
export function resolvePlaceholders(value: unknown, lookup: (key: string) => unknown): unknown {
  if (value instanceof Known) return lookup(value.key);
  if (value instanceof Huge) return value.expand();
  if (Array.isArray(value)) return value.map((v) => resolvePlaceholders(v, lookup));
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, resolvePlaceholders(v, lookup)]));
  }
  return value;
}

// ---------------------------------------------------------------------------------------------
// Rendering.

const UNRESERVED = /^[A-Za-z0-9\-._~]$/;

/** Percent-encodes the UTF-8 bytes of every character but the unreserved ones and `keep`. */
export function encodeSegment(value: string, encoding: SegmentEncoding): string {
  const keep = encoding === 'raw-slash' ? '/' : encoding === 'raw-percent' ? '%' : '';
  let out = '';
  for (const ch of value) {
    if (UNRESERVED.test(ch) || keep.includes(ch)) out += ch;
    else for (const byte of Buffer.from(ch, 'utf8')) out += `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

function fill(template: string, values: Record<string, Segment>, lookup: (key: string) => unknown): string {
  return template.replace(/\{([^}]+)\}|:([A-Za-z_]\w*)/g, (_m, a: string | undefined, b: string | undefined) => {
    const segment = values[(a ?? b)!];
    if (!segment) return '';
    return encodeSegment(String(resolvePlaceholders(segment.value, lookup)), segment.encoding);
  });
}

export interface RenderedRequest {
  method: string;
  /** Path and query, as sent on the request line. */
  path: string;
  headers: Record<string, string>;
  body: Buffer;
}

/** Turns a plan into what goes on the wire, resolving placeholders through `lookup`. */
export function renderRequest(plan: RequestPlan, lookup: (key: string) => unknown): RenderedRequest {
  const path = fill(plan.prefix.template, plan.prefix.values, lookup) + fill(plan.path.template, plan.path.values, lookup) + plan.path.suffix;
  const search = new URLSearchParams();
  for (const [name, value] of plan.query) search.append(name, String(resolvePlaceholders(value, lookup)));
  const query = search.toString();
  return {
    method: plan.method,
    path: query ? `${path}${path.includes('?') ? '&' : '?'}${query}` : path,
    headers: Object.fromEntries(Object.entries(plan.headers).map(([name, value]) => [name, String(resolvePlaceholders(value, lookup))])),
    body: renderBody(plan.body, lookup),
  };
}

function renderBody(body: BodyPlan, lookup: (key: string) => unknown): Buffer {
  switch (body.kind) {
    case 'none':
      return Buffer.alloc(0);
    case 'nested':
      return Buffer.from('['.repeat(body.depth) + ']'.repeat(body.depth));
    case 'raw':
      if (body.size !== undefined) return Buffer.alloc(body.size, body.byte ?? 0x61);
      return Buffer.from(body.text ?? '', body.utf16 ? 'utf16le' : body.latin1 ? 'latin1' : 'utf8');
    case 'json': {
      const value = resolvePlaceholders(body.value, lookup);
      let text = JSON.stringify(value) ?? 'null';
      if (body.pad !== undefined && value && typeof value === 'object' && !Array.isArray(value)) {
        text = `${text.slice(0, -1)}${text.length > 2 ? ',' : ''}"padding":"${'x'.repeat(body.pad)}"}`;
      }
      if (body.duplicate && text.startsWith('{')) {
        text = `{${JSON.stringify(body.duplicate.key)}:${JSON.stringify(body.duplicate.first)},${text.slice(1)}`;
      }
      return Buffer.from(text, 'utf8');
    }
  }
}

/** One line for a report: method, path (cut), mutations and body size. */
export function describeRequest(plan: RequestPlan, rendered: RenderedRequest): string {
  const path = rendered.path.length > 200 ? `${rendered.path.slice(0, 200)}…(${rendered.path.length} chars)` : rendered.path;
  const body = rendered.body.length > 300 ? `${rendered.body.subarray(0, 300).toString('utf8')}…(${rendered.body.length} bytes)` : rendered.body.toString('utf8');
  return `${plan.operationId} [${plan.valid ? 'valid' : plan.mutations.join(', ')}] ${rendered.method} ${path} headers=${JSON.stringify(rendered.headers)} body=${JSON.stringify(body)}`;
}
