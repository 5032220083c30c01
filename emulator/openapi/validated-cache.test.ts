import SwaggerParser from '@apidevtools/swagger-parser';
import { afterEach, describe, expect, it, onTestFinished, vi } from 'vitest';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadSpec, SpecLoadError } from './load-spec.ts';
import { DEFAULT_SPECS_DIR } from './specs-dir.ts';
import { validatedCacheDir } from './validated-cache.ts';

const VALID = [
  'openapi: 3.0.0',
  'info: { title: small, version: "1" }',
  'paths:',
  '  /process/{id}:',
  '    get:',
  '      operationId: getIt',
  '      parameters: [{ name: id, in: path, required: true, schema: { type: string } }]',
  '      responses:',
  "        '200':",
  '          description: ok',
  '          content:',
  '            application/json:',
  "              schema: { $ref: '#/components/schemas/Thing' }",
  'components:',
  '  schemas:',
  '    Thing: { type: object, properties: { id: { type: string } } }',
].join('\n');

// The same document with a $ref that points nowhere: swagger-parser refuses it.
const BROKEN = VALID.replace("$ref: '#/components/schemas/Thing'", "$ref: '#/components/schemas/Missing'");

async function setUp(): Promise<{ file: string; cacheDir: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'validated-cache-test-'));
  onTestFinished(() => rm(dir, { recursive: true, force: true }));
  const file = join(dir, 'small.yaml');
  await writeFile(file, VALID);
  return { file, cacheDir: join(dir, 'cache') };
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe('the cache of validated documents', () => {
  it('skips validation for a text that validated before, and gives the same documents', async () => {
    const { file, cacheDir } = await setUp();
    const validate = vi.spyOn(SwaggerParser, 'validate');
    const first = await loadSpec(file, { cacheDir });
    expect(validate).toHaveBeenCalledTimes(1);
    expect(await readdir(cacheDir)).toHaveLength(1);
    const second = await loadSpec(file, { cacheDir });
    expect(validate).toHaveBeenCalledTimes(1);
    expect(second.raw).toEqual(first.raw);
    expect(second.document).toEqual(first.document);
  });

  it('keeps the dereferenced form too: the third load dereferences nothing, and shared schemas stay one object', async () => {
    const { file, cacheDir } = await setUp();
    await writeFile(file, VALID.replace("          description: ok", "          description: ok\n          headers: { x-thing: { schema: { $ref: '#/components/schemas/Thing' } } }"));
    await loadSpec(file, { cacheDir });
    const dereference = vi.spyOn(SwaggerParser, 'dereference');
    const second = await loadSpec(file, { cacheDir });
    expect(dereference).toHaveBeenCalledTimes(1);
    const third = await loadSpec(file, { cacheDir });
    expect(dereference).toHaveBeenCalledTimes(1);
    expect(third.document).toEqual(second.document);
    const ok = (third.document.paths as any)['/process/{id}'].get.responses['200'];
    // One object reached from both $refs, as swagger-parser made it: a validator compiled once.
    expect(ok.content['application/json'].schema).toBe(ok.headers['x-thing'].schema);
    expect((await readdir(cacheDir)).filter((name) => name.endsWith('.deref.v8'))).toHaveLength(1);
  });

  it('gives our own documents exactly as a full validation does', async () => {
    const { cacheDir } = await setUp();
    for (const name of ['blaxel.yaml', 'tensorlake.yaml']) {
      const file = join(DEFAULT_SPECS_DIR, name);
      const validated = await loadSpec(file, { cacheDir: false });
      await loadSpec(file, { cacheDir });
      const validate = vi.spyOn(SwaggerParser, 'validate');
      const remembered = await loadSpec(file, { cacheDir });
      expect(validate).not.toHaveBeenCalled();
      expect(remembered.raw).toEqual(validated.raw);
      expect(remembered.document).toEqual(validated.document);
      validate.mockRestore();
    }
  });

  it('validates a changed document again', async () => {
    const { file, cacheDir } = await setUp();
    await loadSpec(file, { cacheDir });
    await writeFile(file, VALID.replace('title: small', 'title: changed'));
    const validate = vi.spyOn(SwaggerParser, 'validate');
    const changed = await loadSpec(file, { cacheDir });
    expect(validate).toHaveBeenCalledTimes(1);
    expect(changed.raw.info.title).toBe('changed');
  });

  it('refuses a broken document even when an older version of the file was cached', async () => {
    const { file, cacheDir } = await setUp();
    await loadSpec(file, { cacheDir });
    await writeFile(file, BROKEN);
    const error = await loadSpec(file, { cacheDir }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SpecLoadError);
    const message = (error as Error).message;
    expect(message.startsWith(`Failed to load the OpenAPI document ${file}: `)).toBe(true);
    expect(message).toMatch(/Missing.*\. Fix the document and load it again\.$/);
    // Refused again on the next load: a refusal is never remembered.
    await expect(loadSpec(file, { cacheDir })).rejects.toBeInstanceOf(SpecLoadError);
  });

  it('loads, validating every time, when the cache cannot be written', async () => {
    const { file, cacheDir } = await setUp();
    // A folder inside a file cannot be made, whoever runs the test (root included).
    await writeFile(cacheDir, 'not a folder');
    const unwritable = join(cacheDir, 'validated');
    const validate = vi.spyOn(SwaggerParser, 'validate');
    await loadSpec(file, { cacheDir: unwritable });
    const again = await loadSpec(file, { cacheDir: unwritable });
    expect(validate).toHaveBeenCalledTimes(2);
    expect(Object.keys(again.document.paths)).toEqual(['/process/{id}']);
  });

  it('validates again when an entry is damaged', async () => {
    const { file, cacheDir } = await setUp();
    await loadSpec(file, { cacheDir });
    const [entry] = await readdir(cacheDir);
    const text = await readFile(join(cacheDir, entry), 'utf8');
    await writeFile(join(cacheDir, entry), text.slice(0, text.length / 2));
    const validate = vi.spyOn(SwaggerParser, 'validate');
    await loadSpec(file, { cacheDir });
    expect(validate).toHaveBeenCalledTimes(1);
  });

  it('does not remember a document that refers to another file', async () => {
    const { file, cacheDir } = await setUp();
    // The key covers this text only: a change of the other file would go unseen.
    const other = join(file, '..', 'other.yaml');
    await writeFile(other, 'Thing: { type: object }\n');
    await writeFile(file, `${VALID}\n    Other: { $ref: '${other}#/Thing' }\n`);
    const loaded = await loadSpec(file, { cacheDir });
    expect(loaded.document.components?.schemas?.Other).toEqual({ type: 'object' });
    expect(await readdir(cacheDir).catch(() => [])).toEqual([]);
  });
});

describe('validatedCacheDir', () => {
  it('is the checkout\'s own node_modules/.cache', () => {
    expect(validatedCacheDir('/home/me/sandbox-emulator/')).toBe('/home/me/sandbox-emulator/node_modules/.cache/sandbox-emulator/validated');
  });

  it('is the .cache of the node_modules the package is installed in, not a folder inside the package', () => {
    expect(validatedCacheDir('/app/node_modules/sandbox-emulator/')).toBe('/app/node_modules/.cache/sandbox-emulator/validated');
    expect(validatedCacheDir('/app/node_modules/@team/sandbox-emulator')).toBe('/app/node_modules/.cache/sandbox-emulator/validated');
  });
});
