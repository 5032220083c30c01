// Bundles the TypeScript CLI and the packages it uses into dist/cli.js, one JavaScript file.
// Starting from it spares every start tsx's loader, which takes each of the ~100 source files
// through its hooks (about 400 ms of a start on a 2-core machine), and Node's resolution and
// loading of the packages' ~400 files one by one (about another 180 ms).
//
// `ensureCliBuilt()` is what bin/sandbox-emulator.js calls before every start: it rebuilds only
// when a source the bundle was made from changed. Run as a program (npm's `prepare`, after
// `npm install` and `npm ci`, and the Dockerfile), it also validates the OpenAPI documents once,
// so that the first start already finds them in the cache of validated documents.
import { createHash } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, readSync, readdirSync, realpathSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { extname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const ENTRY = 'emulator/cli.ts';
export const BUILT_CLI = join(ROOT, 'dist', 'cli.js');
// Besides the sources, what shapes the output: this build, the TypeScript settings, and the
// lock file, which says which versions of the packages the bundle holds. Those present are used.
const SETTINGS = ['scripts/build-cli.js', 'tsconfig.json', 'package.json', 'package-lock.json'];
// esbuild turns the packages' require() of Node's modules into calls of this one.
const REQUIRE_SHIM = "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);";
const STAMP_PREFIX = '// sandbox-emulator build: ';
const LOADERS = { '.ts': 'ts', '.js': 'js', '.json': 'json' };

/** One hash over the files, by their path from the root and their bytes. */
function hashFiles(contents) {
  const hash = createHash('sha256');
  for (const [file, text] of [...contents].sort(([a], [b]) => (a < b ? -1 : 1))) hash.update(`${file}\0${text.length}\0`).update(text);
  return hash.digest('hex');
}

/** The stamp the bundle carries at its top: the files it was made from and their hash. */
function readStamp() {
  try {
    // Only the head: the stamp is near the top, and the bundle is megabytes that the start reads
    // again when it imports it.
    const head = Buffer.alloc(256 * 1024);
    const fd = openSync(BUILT_CLI, 'r');
    let length;
    try {
      length = readSync(fd, head, 0, head.length, 0);
    } finally {
      closeSync(fd);
    }
    const text = head.subarray(0, length).toString('utf8');
    // The stamp is the first line after the entry's #! line.
    const start = text.indexOf(`\n${STAMP_PREFIX}`);
    if (start === -1 || start > 200) return undefined;
    return JSON.parse(text.slice(start + 1 + STAMP_PREFIX.length, text.indexOf('\n', start + 1)));
  } catch {
    return undefined;
  }
}

/** Size and modification time of a file: what a start looks at first. */
function statOf(file) {
  const info = statSync(join(ROOT, file));
  return [info.size, info.mtimeMs];
}

/**
 * A file's bytes, kept for the stamp with its size and time as they were just before the read:
 * a file changed while the build runs then fails the quick check and is judged by its bytes.
 */
function readInput(read, file) {
  const stat = statOf(file);
  const bytes = readFileSync(join(ROOT, file));
  read.set(file, { bytes, stat });
  return bytes;
}

/** True when dist/cli.js exists and every file it was made from is unchanged. */
export function isCliFresh() {
  const stamp = readStamp();
  if (!stamp) return false;
  try {
    // Every file as it was when the bundle was made: no need to read them. Otherwise (a checkout
    // touches files it does not change) their bytes decide.
    if (JSON.stringify(stamp.inputs.map(statOf)) === JSON.stringify(stamp.stats)) return true;
    return hashFiles(stamp.inputs.map((file) => [file, readFileSync(join(ROOT, file))])) === stamp.hash;
  } catch {
    // A file it was made from is gone.
    return false;
  }
}

/**
 * Rewrites `import.meta.url` in each source to that source's own URL, relative to the bundle:
 * the sources find specs/ and fixtures/ from where they are, and the bundle lives elsewhere.
 * Relative, so that the project can be moved or copied (into the container image, or packed
 * and installed) as it is. `outDir` is the folder the bundle's files are written to (every
 * file of a build there, chunks included). Every file read is kept, with its bytes and stat,
 * for the stamp.
 */
export function sourcesPlugin(read, outDir = join(ROOT, 'dist')) {
  return {
    name: 'sandbox-emulator-sources',
    setup(build) {
      build.onLoad({ filter: /.*/, namespace: 'file' }, ({ path }) => {
        const file = relative(ROOT, path).split('\\').join('/');
        // The packages are loaded as they are; the lock file stands for them in the stamp.
        if (file.startsWith('node_modules/') || file.startsWith('../')) return undefined;
        let contents = readInput(read, file).toString('utf8');
        const other = /import\.meta\.(?!url\b)\w+/.exec(contents);
        if (other) throw new Error(`${file} uses ${other[0]}: the bundle only knows how to keep import.meta.url`);
        const fromBundle = relative(outDir, path).split('\\').join('/');
        contents = contents.replaceAll('import.meta.url', `new URL(${JSON.stringify(fromBundle)}, import.meta.url).href`);
        return { contents, loader: LOADERS[extname(path)] ?? 'default' };
      });
    },
  };
}

/** Builds dist/cli.js (and its source map) from the sources, whatever their state; returns its path. */
export async function buildCli() {
  const esbuild = await import('esbuild');
  const read = new Map();
  for (const file of SETTINGS.filter((f) => existsSync(join(ROOT, f)))) readInput(read, file);
  const placeholder = `${STAMP_PREFIX}pending`;
  const result = await esbuild.build({
    absWorkingDir: ROOT,
    entryPoints: [ENTRY],
    outfile: BUILT_CLI,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    // For `node --enable-source-maps`: stack traces then name the TypeScript lines.
    sourcemap: 'linked',
    banner: { js: `${placeholder}\n${REQUIRE_SHIM}` },
    plugins: [sourcesPlugin(read)],
    write: false,
    logLevel: 'silent',
  });
  const inputs = [...read.keys()].sort();
  const stamp = {
    hash: hashFiles(new Map([...read].map(([file, { bytes }]) => [file, bytes]))),
    inputs,
    stats: inputs.map((file) => read.get(file).stat),
  };
  mkdirSync(join(ROOT, 'dist'), { recursive: true });
  // The map first, the bundle last, each written aside and renamed: a start running at the same
  // time reads either the old bundle or the new one, never half of one.
  const outputs = result.outputFiles;
  for (const output of [...outputs.filter((o) => o.path !== BUILT_CLI), ...outputs.filter((o) => o.path === BUILT_CLI)]) {
    // The stamp takes the placeholder's line, so the source map's lines stay right.
    const text = output.path === BUILT_CLI ? output.text.replace(placeholder, STAMP_PREFIX + JSON.stringify(stamp)) : output.text;
    const aside = `${output.path}.${process.pid}.tmp`;
    writeFileSync(aside, text);
    renameSync(aside, output.path);
  }
  return BUILT_CLI;
}

/** The path of dist/cli.js, built first if it is missing or a source changed since. */
export async function ensureCliBuilt() {
  return isCliFresh() ? BUILT_CLI : buildCli();
}

/**
 * Loads every document in specs/ twice: the first load remembers that it validated, the second
 * its dereferenced form, so that the first start finds both in the cache.
 */
async function validateSpecs() {
  const { tsImport } = await import('tsx/esm/api');
  const { loadSpec } = await tsImport('../emulator/openapi/load-spec.ts', import.meta.url);
  const specsDir = join(ROOT, 'specs');
  for (const name of readdirSync(specsDir).filter((file) => file.endsWith('.yaml'))) {
    // A broken document is the start's to refuse, with its message; the build goes on.
    for (let i = 0; i < 2; i++) await loadSpec(join(specsDir, name)).catch((error) => process.stderr.write(`build-cli: ${error.message}\n`));
  }
}

if (process.argv[1] && realpathSync(process.argv[1]) === fileURLToPath(import.meta.url)) {
  try {
    await ensureCliBuilt();
  } catch (error) {
    // Not a reason to fail `npm install` (a source being edited, say): each start tries again,
    // and runs the sources through tsx while it cannot.
    process.stderr.write(`build-cli: Failed to build dist/cli.js: ${error.message}. Each start tries again.\n`);
  }
  await validateSpecs();
}
