// Builds what the published package runs, so that its users need no TypeScript loader:
//
//   dist/lib/    JavaScript (ESM, Node 20) with source maps: one file per public entry
//                (exports/*.ts, the `exports` of package.json), the two command lines
//                (cli.js from emulator/cli.ts, contracts-cli.js from contracts/cli.ts), and the
//                chunks they share, so that each module of the emulator is loaded once
//   dist/types/  the .d.ts of the public entries and of every module their types reach
//
// `npm pack` and `npm publish` run it (the `prepack` script); `npm run build` runs it by hand.
// The packages the emulator uses stay imports, resolved from the user's node_modules: they are
// the package's dependencies (and its optional peers, vitest and testcontainers, are imported
// only by the entries made for them).
//
// Like dist/cli.js (build-cli.js), the code keeps finding specs/ and fixtures/ from where its
// sources are: each `import.meta.url` is rewritten to its source's URL, relative to dist/lib/.
// The package ships specs/ and fixtures/ at the root, where the sources expect them.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sourcesPlugin } from './build-cli.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const DIST = join(ROOT, 'dist');

/** Output name (in dist/lib, without .js) -> source. */
export const ENTRIES = {
  index: 'exports/index.ts',
  msw: 'exports/msw.ts',
  vitest: 'exports/vitest.ts',
  testcontainers: 'exports/testcontainers.ts',
  contracts: 'exports/contracts.ts',
  cli: 'emulator/cli.ts',
  'contracts-cli': 'contracts/cli.ts',
};

/**
 * Written beside the final folder, then swapped in: a build that fails leaves the last good
 * one, and two builds at once do not mix their files.
 */
function staging(name) {
  return join(DIST, `.${name}-${process.pid}`);
}

function swapIn(from, name) {
  const to = join(DIST, name);
  rmSync(to, { recursive: true, force: true });
  renameSync(from, to);
}

async function buildJavaScript() {
  const esbuild = await import('esbuild');
  const outDir = staging('lib');
  await esbuild.build({
    absWorkingDir: ROOT,
    entryPoints: ENTRIES,
    outdir: outDir,
    // Chunks in the same folder as the entries: the rewritten import.meta.url of a source is
    // relative to the folder of the file that holds its code, whichever file that is.
    chunkNames: '[name]-[hash]',
    bundle: true,
    splitting: true,
    packages: 'external',
    platform: 'node',
    format: 'esm',
    target: 'node20',
    // Linked maps with the sources' text inside: stack traces (node --enable-source-maps) and
    // debuggers show the TypeScript, which the package does not ship.
    sourcemap: 'linked',
    // The plugin's file list (kept by build-cli.js for its stamp) is not needed here.
    plugins: [sourcesPlugin(new Map(), join(DIST, 'lib'))],
    logLevel: 'warning',
  });
  swapIn(outDir, 'lib');
}

/** Every file under a folder, with its path. */
function walk(dir) {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? walk(path) : [path];
  });
}

function buildTypes() {
  const outDir = staging('types');
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  execFileSync(process.execPath, [tsc, '-p', join(ROOT, 'tsconfig.build.json'), '--outDir', outDir], { cwd: ROOT, stdio: 'inherit' });
  // The sources import each other as './x.ts', and tsc keeps that in the declarations. TypeScript
  // 5 reads it, but older versions and some tools only know './x.js', which finds './x.d.ts'
  // everywhere: the relative specifiers say .js.
  for (const file of walk(outDir).filter((f) => f.endsWith('.d.ts'))) {
    const text = readFileSync(file, 'utf8');
    const rewritten = text.replace(/((?:from|import)\s*\(?\s*)(['"])(\.\.?\/[^'"]*)\.ts\2/g, '$1$2$3.js$2');
    if (rewritten !== text) writeFileSync(file, rewritten);
  }
  swapIn(outDir, 'types');
}

mkdirSync(DIST, { recursive: true });
try {
  await buildJavaScript();
  buildTypes();
} catch (error) {
  for (const name of ['lib', 'types']) rmSync(staging(name), { recursive: true, force: true });
  process.stderr.write(`build-package: Failed to build the package: ${error.message}. Fix the source it names and run npm run build again.\n`);
  process.exit(1);
}
