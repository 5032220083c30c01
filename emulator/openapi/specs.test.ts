import { describe, expect, it, onTestFinished } from 'vitest';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { DEFAULT_SPECS_DIR } from './specs-dir.ts';
import { loadSpec, SpecLoadError } from './load-spec.ts';
import { operationsOf, type JsonSchema, type MediaTypeObject, type OpenAPIDocument } from './openapi-types.ts';
import { ResponseValidator } from './response-validator.ts';
import { createSchemaAjv } from './schema-ajv.ts';
import { SEED_EXAMPLES } from './seed-examples.ts';

const SPEC_FILES = ['blaxel.yaml', 'blaxel-control.yaml', 'tensorlake.yaml', 'agentbox.yaml'];

interface Example {
  where: string;
  schema: JsonSchema;
  value: unknown;
}

/** Every example of a document, with the schema it illustrates. */
function examplesOf(doc: OpenAPIDocument): Example[] {
  const out: Example[] = [];
  const fromMedia = (where: string, media: MediaTypeObject) => {
    if (!media.schema) return;
    if ('example' in media) out.push({ where, schema: media.schema, value: media.example });
    for (const [name, ex] of Object.entries(media.examples ?? {})) {
      if (ex && 'value' in ex) out.push({ where: `${where} examples.${name}`, schema: media.schema, value: ex.value });
    }
  };
  for (const { path, method, operation, parameters } of operationsOf(doc)) {
    const op = `${method.toUpperCase()} ${path}`;
    for (const p of parameters) {
      if (p.schema && 'example' in p) out.push({ where: `${op} parameter ${p.name}`, schema: p.schema, value: p.example });
      for (const [name, ex] of Object.entries(p.examples ?? {})) {
        if (p.schema && ex && 'value' in ex) out.push({ where: `${op} parameter ${p.name} examples.${name}`, schema: p.schema, value: ex.value });
      }
    }
    for (const [type, media] of Object.entries(operation.requestBody?.content ?? {})) fromMedia(`${op} request ${type}`, media);
    for (const [status, response] of Object.entries(operation.responses ?? {})) {
      for (const [type, media] of Object.entries(response.content ?? {})) fromMedia(`${op} ${status} ${type}`, media);
    }
  }
  // Examples written on the schemas themselves.
  const seen = new Set<object>();
  const walk = (schema: unknown, where: string) => {
    if (!schema || typeof schema !== 'object' || seen.has(schema)) return;
    seen.add(schema);
    const s = schema as JsonSchema;
    if ('example' in s && (s.type || s.properties || s.enum)) out.push({ where: `${where} (schema example)`, schema: s, value: s.example });
    if (Array.isArray(s.examples)) s.examples.forEach((v: unknown, i: number) => out.push({ where: `${where} (schema examples[${i}])`, schema: s, value: v }));
    for (const [key, value] of Object.entries(s.properties ?? {})) walk(value, `${where}.${key}`);
    if (s.items) walk(s.items, `${where}[]`);
    for (const key of ['oneOf', 'anyOf', 'allOf']) (s[key] ?? []).forEach((m: unknown, i: number) => walk(m, `${where}.${key}[${i}]`));
    if (s.additionalProperties && typeof s.additionalProperties === 'object') walk(s.additionalProperties, `${where}{}`);
  };
  for (const [name, schema] of Object.entries(doc.components?.schemas ?? {})) walk(schema, `components.schemas.${name}`);
  return out;
}

describe.each(SPEC_FILES)('specs/%s', (file) => {
  it('validates and dereferences with swagger-parser', async () => {
    // Past the cache: this is the check that the document itself is valid.
    const spec = await loadSpec(join(DEFAULT_SPECS_DIR, file), { cacheDir: false });
    expect(Object.keys(spec.document.paths).length).toBeGreaterThan(0);
  });

  it('gives every operation an operationId and declares an error answer for it', async () => {
    const { document } = await loadSpec(join(DEFAULT_SPECS_DIR, file));
    for (const { path, method, operation } of operationsOf(document)) {
      expect(operation.operationId, `${method} ${path}`).toBeTruthy();
      const statuses = Object.keys(operation.responses ?? {});
      const isPing = operation.operationId === 'Ping';
      if (!isPing) expect(statuses.some((s) => Number(s) >= 400), `${operation.operationId} declares an error status`).toBe(true);
    }
  });

  it('holds examples that each validate against their own schema', async () => {
    const { document } = await loadSpec(join(DEFAULT_SPECS_DIR, file));
    const ajv = createSchemaAjv(document.openapi);
    const examples = examplesOf(document);
    expect(examples.length).toBeGreaterThan(5);
    const failures = examples
      .map((ex) => {
        const validate = ajv.compile(ex.schema);
        return validate(ex.value) ? undefined : `${ex.where}: ${ajv.errorsText(validate.errors)}`;
      })
      .filter(Boolean);
    expect(failures).toEqual([]);
  });
});

describe('the seeds', () => {
  it.each(SEED_EXAMPLES.map((s) => [s.seed, s] as const))('%s validates against our schema for that operation', async (_name, seed) => {
    const spec = await loadSpec(join(DEFAULT_SPECS_DIR, seed.spec));
    const validator = new ResponseValidator(spec);
    expect(validator.validate(seed.operationId, seed.status, seed.mediaType, seed.value, true)).toEqual([]);
  });

  it('are not accepted by accident: a seed answer with a field of the wrong type is refused', async () => {
    const spec = await loadSpec(join(DEFAULT_SPECS_DIR, 'tensorlake.yaml'));
    const validator = new ResponseValidator(spec);
    const seed = SEED_EXAMPLES.find((s) => s.operationId === 'sandbox_process_get')!;
    const broken = { ...(seed.value as object), pid: 'forty-two' };
    expect(validator.validate(seed.operationId, 200, 'application/json', broken, true)[0].message).toMatch(/pid/);
  });
});

describe('loadSpec', () => {
  it('refuses a broken document with a message naming the file and the fault', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'spec-test-'));
    onTestFinished(() => rm(dir, { recursive: true, force: true }));
    const file = join(dir, 'broken.yaml');
    await writeFile(
      file,
      [
        'openapi: 3.0.0',
        'info: { title: broken, version: "1" }',
        'paths:',
        '  /process/{id}:',
        '    get:',
        '      operationId: getIt',
        '      responses:',
        "        '200':",
        '          description: ok',
        '          content:',
        '            application/json:',
        "              schema: { $ref: '#/components/schemas/Missing' }",
      ].join('\n'),
    );
    const error = await loadSpec(file).catch((e) => e);
    expect(error).toBeInstanceOf(SpecLoadError);
    expect(error.message).toContain(file);
    // Two faults: the path parameter {id} is not declared, and the $ref points nowhere.
    expect(error.message).toMatch(/id|Missing/);
    // One sentence end between the fault and the advice, whatever punctuation the fault had.
    expect(error.message).toMatch(/[^.]\. Fix the document and load it again\.$/);
  });

  it('refuses a file that is not YAML', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'spec-test-'));
    onTestFinished(() => rm(dir, { recursive: true, force: true }));
    const file = join(dir, 'not-yaml.yaml');
    await writeFile(file, 'openapi: [unclosed');
    await expect(loadSpec(file)).rejects.toThrow(/not-yaml\.yaml: it is not valid YAML/);
  });
});
