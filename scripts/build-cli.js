// Bundles the TypeScript CLI into dist/cli.js, one JavaScript file with the packages left in
// node_modules. Starting from it spares every start tsx's loader, which takes each of the ~100
// source files through its hooks: about 400 ms of a start on a 2-core machine.
//
// `ensureCliBuilt()` is what bin/sandbox-emulator.js calls before every start: it rebuilds only
// when a source the bundle was made from changed. Run as a program (npm's `prepare`, after
// `npm install` and `npm ci`, and the Dockerfile), it also validates the OpenAPI documents once,
// so that the first start already finds them in the cache of validated documents.
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, readdirSync, realpathSync, renameSync, writeFileSync } from 'node:fs';
import { extname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const ENTRY = 'emulator/cli.ts';
export const BUILT_CLI = join(ROOT, 'dist', 'cli.js');
// Besides the sources, what shapes the output: this build and the TypeScript settings.
const SETTINGS = ['scripts/build-cli.js', 'tsconfig.json', 'package.json'];
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
    const text = readFileSync(BUILT_CLI, 'utf8');
    // The stamp is the first line after the entry's #! line.
    const start = text.indexOf(`\n${STAMP_PREFIX}`);
    if (start === -1 || start > 200) return undefined;
    return JSON.parse(text.slice(start + 1 + STAMP_PREFIX.length, text.indexOf('\n', start + 1)));
  } catch {
    return undefined;
  }
}

/** True when dist/cli.js exists and every file it was made from is unchanged. */
export function isCliFresh() {
  const stamp = readStamp();
  if (!stamp) return false;
  try {
    return hashFiles(stamp.inputs.map((file) => [file, readFileSync(join(ROOT, file))])) === stamp.hash;
  } catch {
    // A file it was made from is gone.
    return false;
  }
}

/**
 * Rewrites `import.meta.url` in each source to that source's own URL, relative to the bundle:
 * the sources find specs/ and fixtures/ from where they are, and the bundle lives elsewhere.
 * Relative, so that the project can be moved or copied (into the container image) as it is.
 * Every file read is kept, with its bytes, for the stamp.
 */
function sourcesPlugin(read) {
  return {
    name: 'sandbox-emulator-sources',
    setup(build) {
      build.onLoad({ filter: /.*/, namespace: 'file' }, ({ path }) => {
        const bytes = readFileSync(path);
        const file = relative(ROOT, path).split('\\').join('/');
        read.set(file, bytes);
        let contents = bytes.toString('utf8');
        const other = /import\.meta\.(?!url\b)\w+/.exec(contents);
        if (other) throw new Error(`${file} uses ${other[0]}: the bundle only knows how to keep import.meta.url`);
        const fromBundle = relative(join(ROOT, 'dist'), path).split('\\').join('/');
        contents = contents.replaceAll('import.meta.url', `new URL(${JSON.stringify(fromBundle)}, import.meta.url).href`);
        return { contents, loader: LOADERS[extname(path)] ?? 'default' };
      });
    },
  };
}

/** Builds dist/cli.js (and its source map) from the sources, whatever their state; returns its path. */
export async function buildCli() {
  const esbuild = await import('esbuild');
  const read = new Map(SETTINGS.map((file) => [file, readFileSync(join(ROOT, file))]));
  const placeholder = `${STAMP_PREFIX}pending`;
  const result = await esbuild.build({
    absWorkingDir: ROOT,
    entryPoints: [ENTRY],
    outfile: BUILT_CLI,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    // Dependencies stay in node_modules: the same copies tests and tools use.
    packages: 'external',
    // For `node --enable-source-maps`: stack traces then name the TypeScript lines.
    sourcemap: 'linked',
    banner: { js: placeholder },
    plugins: [sourcesPlugin(read)],
    write: false,
    logLevel: 'silent',
  });
  const stamp = { hash: hashFiles(read), inputs: [...read.keys()].sort() };
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

/** Loads every document in specs/ once, so that their validation is remembered. */
async function validateSpecs() {
  const { tsImport } = await import('tsx/esm/api');
  const { loadSpec } = await tsImport('../emulator/spec/load-spec.ts', import.meta.url);
  const specsDir = join(ROOT, 'specs');
  for (const name of readdirSync(specsDir).filter((file) => file.endsWith('.yaml'))) {
    // A broken document is the start's to refuse, with its message; the build goes on.
    await loadSpec(join(specsDir, name)).catch((error) => process.stderr.write(`build-cli: ${error.message}\n`));
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
