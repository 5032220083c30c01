import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, rename, stat, unlink, utimes, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { deserialize, serialize } from 'node:v8';

/**
 * Where documents that validated are remembered: node_modules/.cache/, the usual home of tools'
 * caches, ignored by git and thrown away with node_modules.
 */
export const DEFAULT_VALIDATED_CACHE_DIR = validatedCacheDir(fileURLToPath(new URL('../../', import.meta.url)));

/**
 * The cache folder for the package at `packageRoot`: in a checkout, its own node_modules; once
 * installed (`<project>/node_modules/sandbox-emulator`, or under a scope), the node_modules it
 * is installed in, so that the package's own folder is not written to.
 */
export function validatedCacheDir(packageRoot: string): string {
  const parent = dirname(packageRoot);
  const scoped = basename(parent).startsWith('@') && basename(dirname(parent)) === 'node_modules';
  const modules = basename(parent) === 'node_modules' ? parent : scoped ? dirname(parent) : join(packageRoot, 'node_modules');
  return join(modules, '.cache', 'sandbox-emulator', 'validated');
}

/**
 * Entries beyond this many are removed, the least recently used first: every edit of a document
 * adds one.
 */
const MAX_ENTRIES = 64;

/** Bumped when what an entry holds changes, so that older entries are never read. */
const FORMAT = 1;

let versions: string | undefined;

/**
 * The versions of what decides whether a text is a valid document (swagger-parser) and what
 * object it parses to (yaml): a new version of either must see every document again.
 */
function parserVersions(): string {
  if (versions === undefined) {
    const require = createRequire(import.meta.url);
    const version = (name: string) => (require(`${name}/package.json`) as { version: string }).version;
    versions = JSON.stringify({ format: FORMAT, swaggerParser: version('@apidevtools/swagger-parser'), yaml: version('yaml') });
  }
  return versions;
}

/** The cache key of a document's text: any change of the text, or of the parsers, is a miss. */
export function validatedKey(text: string): string {
  return createHash('sha256').update(parserVersions()).update('\n').update(text).digest('hex');
}

/**
 * The parsed document (refs intact) of a text that validated before, or undefined. A missing,
 * unreadable or damaged entry is a miss: the document is then validated again.
 */
export async function readValidated(dir: string, key: string): Promise<object | undefined> {
  const file = join(dir, `${key}.json`);
  try {
    const entry = JSON.parse(await readFile(file, 'utf8')) as { key?: string; document?: unknown };
    if (entry.key !== key || !entry.document || typeof entry.document !== 'object') return undefined;
    // Marks it as used, for pruning; not waited for, and a failure only makes it older.
    const now = new Date();
    utimes(file, now, now).catch(() => undefined);
    return entry.document;
  } catch {
    return undefined;
  }
}

/**
 * Remembers that the text of `key` validated, keeping its parsed form so that a hit needs no
 * YAML parsing either. Best effort: a cache that cannot be written only costs the next start its
 * validation. A document that refers to other files is not remembered: the key covers only its
 * own text, and a change of the other file must still be validated.
 */
export async function rememberValidated(dir: string, key: string, document: object): Promise<void> {
  if (!selfContained(document)) return;
  const json = JSON.stringify({ key, document });
  // YAML can hold what JSON cannot (.inf, .nan); such a document is not remembered.
  if (!sameAfterJson(document, (JSON.parse(json) as { document: unknown }).document)) return;
  try {
    await mkdir(dir, { recursive: true });
    // Written aside, then renamed: concurrent starts never read half an entry.
    const temporary = join(dir, `${key}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`);
    await writeFile(temporary, json);
    await rename(temporary, join(dir, `${key}.json`));
    await prune(dir);
  } catch {
    // Unwritable or full: loading goes on without the cache.
  }
}

/** True when every $ref of the document points inside it. */
function selfContained(value: unknown): boolean {
  if (Array.isArray(value)) return value.every(selfContained);
  if (!value || typeof value !== 'object') return true;
  for (const [key, inner] of Object.entries(value)) {
    if (key === '$ref' && typeof inner === 'string' && !inner.startsWith('#')) return false;
    if (!selfContained(inner)) return false;
  }
  return true;
}

function sameAfterJson(before: unknown, after: unknown): boolean {
  if (before === null || typeof before !== 'object') return before === after;
  if (after === null || typeof after !== 'object' || Array.isArray(before) !== Array.isArray(after)) return false;
  if (Object.getPrototypeOf(before) !== Object.prototype && !Array.isArray(before)) return false;
  const keys = Object.keys(before);
  if (keys.length !== Object.keys(after).length) return false;
  return keys.every((key) => sameAfterJson((before as Record<string, unknown>)[key], (after as Record<string, unknown>)[key]));
}

/**
 * The dereferenced form of a text that validated before, as `rememberDereferenced` kept it, or
 * undefined. Dereferencing (swagger-parser walking every $ref) was the largest single cost of a
 * start once validation was cached; this makes it a read.
 */
export async function readDereferenced(dir: string, key: string): Promise<object | undefined> {
  try {
    const entry = deserialize(await readFile(join(dir, `${key}.deref.v8`))) as { key?: string; document?: unknown };
    return entry.key === key && entry.document && typeof entry.document === 'object' ? entry.document : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Keeps a dereferenced document in V8's serialization format, which, unlike JSON, keeps what
 * dereferencing makes: one object reached from every $ref that named it (so a schema compiled
 * once serves every use), and cycles. Best effort, as rememberValidated.
 */
export async function rememberDereferenced(dir: string, key: string, document: object): Promise<void> {
  try {
    await mkdir(dir, { recursive: true });
    const temporary = join(dir, `${key}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`);
    await writeFile(temporary, serialize({ key, document }));
    await rename(temporary, join(dir, `${key}.deref.v8`));
  } catch {
    // Unwritable or full, or a value V8 cannot serialize: the next start dereferences again.
  }
}

async function prune(dir: string): Promise<void> {
  const names = (await readdir(dir)).filter((name) => name.endsWith('.json'));
  if (names.length <= MAX_ENTRIES) return;
  const entries = await Promise.all(
    names.map(async (name) => ({ name, mtimeMs: await stat(join(dir, name)).then((s) => s.mtimeMs, () => 0) })),
  );
  entries.sort((a, b) => a.mtimeMs - b.mtimeMs);
  // The dereferenced form goes with its entry.
  await Promise.all(
    entries
      .slice(0, entries.length - MAX_ENTRIES)
      .flatMap(({ name }) => [name, name.replace(/\.json$/, '.deref.v8')])
      .map((name) => unlink(join(dir, name)).catch(() => undefined)),
  );
}
