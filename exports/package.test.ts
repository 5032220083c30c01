import { execFile } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, posix } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { awaitImageBuild } from '../contracts/kit/targets/image-status.ts';

// The package as a user gets it: `npm pack` (which builds it, see scripts/build-package.js),
// the tarball installed into a fresh project with npm and no install script run, and there, only
// the public imports: a plain Node ESM script, a vitest file, the command line, a type check.
// The project's files are in exports/consumer/.
//
// The tarball's dependencies come from npm's cache when they are in it (`npm ci` filled it), else
// from the registry. The tools a user installs beside it (the real @blaxel/core, vitest,
// typescript, testcontainers and @types/node) are linked from this project's node_modules: the same
// packages, without an install of their own.

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const CONSUMER_FILES = join(ROOT, 'exports', 'consumer');
const LINKED = ['@blaxel/core', 'vitest', 'typescript', 'testcontainers', '@types/node'];

const temp = mkdtempSync(join(tmpdir(), 'package-test-'));
const project = join(temp, 'consumer');

/**
 * The environment of a user's shell: nothing of the npm run or the vitest worker this test is
 * in (npm_config_local_prefix would aim npm at this project; VITEST_* would confuse the inner
 * vitest), and no BL_* of the developer's.
 */
function userEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(
    Object.entries(process.env).filter(([name]) => !/^(npm_|INIT_CWD$|VITEST|TEST$|NODE_ENV$|NODE_OPTIONS$|BL_|SANDBOX_EMULATOR_)/i.test(name)),
  );
}

async function run(file: string, args: string[], cwd: string, timeout = 60_000, env: NodeJS.ProcessEnv = {}): Promise<{ stdout: string; stderr: string }> {
  try {
    return await promisify(execFile)(file, args, { cwd, env: { ...userEnv(), ...env }, timeout, maxBuffer: 16 * 1024 * 1024 });
  } catch (error) {
    const { stdout, stderr, message } = error as { stdout?: string; stderr?: string; message: string };
    throw new Error(`Failed to run ${[file, ...args].join(' ')}: ${message}\n${stdout ?? ''}\n${stderr ?? ''}`);
  }
}

interface PackedFile {
  path: string;
  size: number;
}
let packed: { filename: string; files: PackedFile[]; size: number; unpackedSize: number };

beforeAll(async () => {
  // --json prints the tarball's file list; the build scripts print nothing on success.
  const { stdout } = await run('npm', ['pack', '--json', '--pack-destination', temp], ROOT, 120_000);
  [packed] = JSON.parse(stdout.slice(stdout.indexOf('[')));
  mkdirSync(project);
  writeFileSync(join(project, 'package.json'), `${JSON.stringify({ name: 'consumer', private: true, type: 'module' }, null, 2)}\n`);
  // --ignore-scripts: the package must work with no install script run, its own or its dependencies'.
  await run('npm', ['install', '--prefer-offline', '--ignore-scripts', '--no-audit', '--no-fund', join(temp, packed.filename)], project, 120_000);
  for (const name of LINKED) {
    const link = join(project, 'node_modules', name);
    // One of the package's dependencies may have brought it already (@types/node does).
    if (existsSync(link)) continue;
    mkdirSync(dirname(link), { recursive: true });
    symlinkSync(join(ROOT, 'node_modules', name), link, 'dir');
  }
  cpSync(CONSUMER_FILES, project, { recursive: true });
}, 240_000);

afterAll(() => {
  rmSync(temp, { recursive: true, force: true });
});

describe('the packed package', () => {
  it('holds the built JavaScript, its types and source maps, the specs and fixtures, and no sources', () => {
    const paths = packed.files.map((f) => f.path);
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { exports: Record<string, string | Record<string, string>> };
    // Every file the exports name, for every condition.
    for (const [subpath, target] of Object.entries(pkg.exports)) {
      if (subpath.includes('*')) continue;
      for (const file of typeof target === 'string' ? [target] : Object.values(target)) expect(paths, `${subpath} -> ${file}`).toContain(posix.normalize(file));
    }
    for (const file of ['bin/sandbox-emulator.js', 'dist/lib/cli.js', 'dist/lib/contracts-cli.js', 'specs/blaxel.yaml', 'specs/blaxel-control.yaml', 'specs/tensorlake.yaml', 'specs/agentbox.yaml', 'fixtures/fixture.schema.json']) {
      expect(paths).toContain(file);
    }
    for (const provider of ['blaxel', 'tensorlake', 'agentbox']) expect(paths.some((p) => p.startsWith(`fixtures/${provider}/`) && p.endsWith('.yaml'))).toBe(true);
    for (const js of paths.filter((p) => p.endsWith('.js') && p.startsWith('dist/'))) expect(paths, `the source map of ${js}`).toContain(`${js}.map`);
    // No TypeScript to load, no tests, no build scripts, nothing of the checkout's own.
    expect(paths.filter((p) => (p.endsWith('.ts') && !p.endsWith('.d.ts')) || /^(node_modules|scripts|emulator|contracts|exports|examples|bench)\//.test(p) || p.includes('.test.'))).toEqual([]);
  });

  it('has declarations whose imports of each other all resolve inside the package', () => {
    const paths = new Set(packed.files.map((f) => f.path));
    const missing: string[] = [];
    for (const file of [...paths].filter((p) => p.endsWith('.d.ts'))) {
      const text = readFileSync(join(project, 'node_modules', 'sandbox-emulator', file), 'utf8');
      for (const [, specifier] of text.matchAll(/(?:from|import)\s*\(?\s*['"](\.\.?\/[^'"]+)['"]/g)) {
        const target = posix.join(posix.dirname(file), specifier.replace(/\.js$/, '.d.ts'));
        if (!paths.has(target)) missing.push(`${file}: ${specifier}`);
      }
    }
    expect(missing).toEqual([]);
  });

  it('runs in plain Node ESM: setupEmulator with the real @blaxel/core, createEmulator over HTTP, the contract suite from code', async () => {
    const { stdout } = await run(process.execPath, ['plain.mjs'], project);
    const seen = JSON.parse(stdout.trim().split('\n').at(-1)!);
    expect(seen.msw).toEqual({ exitCode: 0, stdout: 'msw 42\n', violations: 0 });
    expect(seen.http).toMatchObject({ exitCode: 3, stderr: 'http\n' });
    expect(seen.http.origin).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    // Every Blaxel fixture the package ships, found and loaded from inside it.
    expect(seen.http.fixtures).toBe(packed.files.filter((f) => /^fixtures\/blaxel\/.*\.yaml$/.test(f.path)).length);
    expect(seen.contracts).toMatchObject({ target: 'http', failed: 0 });
    expect(seen.contracts.passed).toBeGreaterThan(0);
    expect(seen.specsDir).toBe(join(project, 'node_modules', 'sandbox-emulator', 'specs/'));
    // The validated documents are remembered in the project's node_modules/.cache, not in the package.
    expect(existsSync(join(project, 'node_modules', '.cache', 'sandbox-emulator', 'validated'))).toBe(true);
    expect(existsSync(join(project, 'node_modules', 'sandbox-emulator', 'node_modules'))).toBe(false);
  });

  it('runs a vitest file with the sandbox-emulator/vitest helpers', async () => {
    const { stdout } = await run(process.execPath, [join('node_modules', 'vitest', 'vitest.mjs'), 'run', '--reporter=dot', '--no-color', 'emulator.test.ts'], project);
    expect(stdout).toMatch(/Tests\s+3 passed \(3\)/);
  });

  it('gives npx sandbox-emulator and its commands, each with --help', async () => {
    const npx = (...args: string[]) => run('npx', ['--no-install', 'sandbox-emulator', ...args], project).then((r) => r.stdout);
    const [usage, start, drift, record, contracts] = await Promise.all([['--help'], ['start', '--help'], ['drift', '--help'], ['record', '--help'], ['contracts', '--help']].map((args) => npx(...args)));
    for (const command of ['start', 'drift', 'record', 'contracts']) expect(usage).toContain(`  ${command} `);
    expect(start).toContain('Usage: sandbox-emulator start');
    expect(drift).toContain('Usage: sandbox-emulator drift');
    expect(record).toContain('Usage: sandbox-emulator record');
    expect(contracts).toContain('Usage: sandbox-emulator contracts');
  });

  // The image the test setup built (contracts/kit/global-setup.ts), when a Docker engine answers.
  it('starts the image with sandbox-emulator/testcontainers', async (context) => {
    await awaitImageBuild();
    const image = process.env.SANDBOX_EMULATOR_IMAGE;
    if (!image) return context.skip(process.env.SANDBOX_EMULATOR_CONTAINER_SKIP ?? 'no emulator image was built for this run');
    // The reaper's image cannot be pulled here; the script stops its own container.
    const { stdout } = await run(process.execPath, ['container.mjs'], project, 90_000, { SANDBOX_EMULATOR_IMAGE: image, TESTCONTAINERS_RYUK_DISABLED: 'true' });
    const seen = JSON.parse(stdout.trim().split('\n').at(-1)!);
    expect(seen.status).toBe(200);
    expect(seen.origin).toMatch(/^http:\/\/[^/]+:\d+$/);
  }, 120_000);

  it('type checks a TypeScript consumer of every entry', async () => {
    await run(process.execPath, [join('node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.json'], project);
  });
});
