// Testing your own code that uses the real @blaxel/core SDK, offline.
//
// setupEmulator answers, in this process (through msw), on Blaxel's own hosts: the control plane
// at https://api.blaxel.ai/v0 and each sandbox at https://sbx-<name>-<workspace>.<region>.bl.run.
// So the code under test runs unchanged, with no account and no network, and its commands really
// run here, as child processes in a temporary folder per sandbox.

import { SandboxInstance } from '@blaxel/core';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
// In your project: import { setupEmulator } from 'sandbox-emulator/msw';
import { setupEmulator } from '../exports/msw.ts';

// The code under test. Yours lives in your own source tree.

/** Runs a shell script in a sandbox and says what it printed and how it ended. */
async function runScript(sandbox: SandboxInstance, script: string) {
  const result = await sandbox.process.exec({ command: script, waitForCompletion: true });
  return { ok: result.exitCode === 0, exitCode: result.exitCode, stdout: result.stdout, stderr: result.stderr };
}

// The tests.

const emulator = setupEmulator({
  providers: ['blaxel'],
  // A request to a host the emulator does not answer fails the test instead of going out.
  onUnhandledRequest: 'error',
});

beforeAll(async () => {
  // The SDK sends nothing without credentials; the emulator takes any.
  vi.stubEnv('BL_WORKSPACE', 'local');
  vi.stubEnv('BL_API_KEY', 'test');
  // Needed: on Node < 24 the SDK sends its https calls to api.blaxel.ai over HTTP/2 connections
  // of its own, which msw never sees. With this it uses fetch, which msw answers.
  vi.stubEnv('BL_DISABLE_H2', 'true');
  // No error reports to Blaxel.
  vi.stubEnv('DO_NOT_TRACK', '1');
  // Each of these would send calls somewhere else than the hosts msw answers. Note that the
  // SDK lets a .env or blaxel.toml in the working directory override these: keep BL_* out of them.
  for (const name of ['BL_API_URL', 'BL_RUN_URL', 'BL_REGION', 'BL_ENV']) vi.stubEnv(name, undefined);
  await emulator.start();
});

afterEach(async () => {
  // Every answer the emulator gave matched Blaxel's API document.
  expect(emulator.app.violations).toEqual([]);
  // Ends every process and forgets every sandbox, so each test starts clean.
  await emulator.reset();
});

afterAll(async () => {
  await emulator.close();
  vi.unstubAllEnvs();
});

describe('runScript', () => {
  // Made through the emulated control plane, as your code would. No region: with one, the SDK
  // would reach for Blaxel's edge. (The short form create({ name }) works too, with a warning.)
  const newSandbox = () => SandboxInstance.create({ metadata: { name: 'scripts' }, spec: {} });

  it('returns what the script printed', async () => {
    const sandbox = await newSandbox();
    const result = await runScript(sandbox, 'echo hello; echo $((6 * 7))');
    expect(result).toEqual({ ok: true, exitCode: 0, stdout: 'hello\n42\n', stderr: '' });
  });

  it('reports a failing script with its exit code and its stderr', async () => {
    const sandbox = await newSandbox();
    const result = await runScript(sandbox, 'echo "no such file" >&2; exit 2');
    expect(result).toEqual({ ok: false, exitCode: 2, stdout: '', stderr: 'no such file\n' });
  });
});
