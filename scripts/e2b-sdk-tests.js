#!/usr/bin/env node
// Runs E2B's own JS SDK tests (packages/js-sdk/tests of e2b-dev/E2B) against the emulator: the
// measure of fidelity is the provider's own tests, not only ours. Usage:
//
//   npm run e2b:sdk-tests -- <a checkout of e2b-dev/E2B> [test file or folder below tests/ ...]
//
// The tests import the SDK from `../src`; here that is the `e2b` package this project installs,
// through a few re-exporting files, so the tests run against the release users have. Test files
// that import the SDK's internals (its protobuf modules, its undici wiring) do not load this way
// and are reported as failed files. The emulator runs on a free port for the run and stops after;
// every request goes to it (E2B_API_URL, E2B_SANDBOX_URL), none to E2B's hosts, so the tests that
// reach a sandbox's own ports (host.test.ts) are left out of the default set.
import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const project = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const DEFAULT_TESTS = [
  'sandbox/files',
  'sandbox/commands',
  'sandbox/secure.test.ts',
  'sandbox/connect.test.ts',
  'sandbox/kill.test.ts',
  'sandbox/timeout.test.ts',
  'sandbox/create.test.ts',
  'sandbox/metrics.test.ts',
  'sandbox/pty',
];
/** The SDK internals the tests import by path, and what stands for each here. */
const SHIMS = ['index.ts', 'errors.ts', 'sandbox/filesystem/index.ts', 'sandbox/commands/index.ts'];

const [checkout, ...chosen] = process.argv.slice(2);
if (!checkout || !existsSync(join(checkout, 'packages/js-sdk/tests/setup.ts'))) {
  console.error('e2b-sdk-tests: give the path of a checkout of e2b-dev/E2B (its packages/js-sdk/tests is what runs).');
  process.exit(2);
}

function freePort() {
  return new Promise((done, fail) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => done(port));
    });
    server.on('error', fail);
  });
}

async function waitForEmulator(origin, child) {
  for (let i = 0; i < 200; i++) {
    if (child.exitCode !== null) throw new Error(`the emulator exited with ${child.exitCode} before it served`);
    const ok = await fetch(`${origin}/e2b/v2/sandboxes`).then((r) => r.ok, () => false);
    if (ok) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('the emulator did not answer within 10 s');
}

const work = mkdtempSync(join(tmpdir(), 'e2b-sdk-tests-'));
const sdk = join(project, 'node_modules/e2b/dist/index.mjs');
cpSync(join(checkout, 'packages/js-sdk/tests'), join(work, 'tests'), { recursive: true });
for (const shim of SHIMS) {
  mkdirSync(dirname(join(work, 'src', shim)), { recursive: true });
  writeFileSync(join(work, 'src', shim), `export * from ${JSON.stringify(sdk)}\n`);
}
symlinkSync(join(project, 'node_modules'), join(work, 'node_modules'));
const include = (chosen.length ? chosen : DEFAULT_TESTS).map((t) => (t.endsWith('.ts') ? `tests/${t}` : `tests/${t}/**/*.test.ts`));
writeFileSync(
  join(work, 'vitest.config.mjs'),
  `export default { test: { include: ${JSON.stringify(include)}, testTimeout: 30000, environment: 'node', isolate: true } }\n`,
);

const port = await freePort();
const origin = `http://127.0.0.1:${port}`;
const emulator = spawn(process.execPath, [join(project, 'bin/sandbox-emulator.js'), 'start', '--port', String(port), '--quiet', '--no-ui'], { stdio: 'inherit' });
let code = 1;
try {
  await waitForEmulator(origin, emulator);
  const env = { ...process.env, E2B_API_KEY: `e2b_${'0'.repeat(40)}`, E2B_API_URL: `${origin}/e2b`, E2B_SANDBOX_URL: `${origin}/e2b/envd` };
  delete env.E2B_DOMAIN;
  delete env.E2B_DEBUG;
  const vitest = spawn(process.execPath, [join(project, 'node_modules/vitest/vitest.mjs'), 'run', '--root', work, '--config', join(work, 'vitest.config.mjs')], { stdio: 'inherit', env });
  code = await new Promise((done) => vitest.on('exit', (c) => done(c ?? 1)));
} finally {
  emulator.kill('SIGTERM');
  await new Promise((done) => (emulator.exitCode !== null ? done() : emulator.on('exit', done)));
  rmSync(work, { recursive: true, force: true });
}
process.exit(code);
