// Testing your own code that uses the real `e2b` SDK, offline.
//
// The emulator listens on 127.0.0.1 and the SDK is aimed at it with the two options it has for
// that: `apiUrl` for the E2B API (create, kill, ...) and `sandboxUrl` for envd, the daemon in
// each sandbox (commands, files). Both are needed: with `apiUrl` alone the SDK would still reach
// envd by https names of E2B's. Commands really run, as child processes in a temporary folder
// per sandbox (its /home/user). It has to be HTTP: the SDK sends through its own copy of undici,
// which msw does not see.

import { CommandExitError, Sandbox } from 'e2b';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
// In your project: import { createEmulator, type Emulator } from 'sandbox-emulator';
import { createEmulator, type Emulator } from '../exports/index.ts';

// The code under test. Yours lives in your own source tree.

/** Writes a script into the sandbox, runs it, and hands back its lines and whether it passed. */
async function runChecks(sandbox: Sandbox, script: string): Promise<{ passed: boolean; lines: string[] }> {
  await sandbox.files.write('/home/user/checks.sh', script);
  const lines = (stdout: string) => stdout.split('\n').filter(Boolean);
  try {
    const result = await sandbox.commands.run('sh checks.sh');
    return { passed: true, lines: lines(result.stdout) };
  } catch (error) {
    // The SDK's own error for a non-zero exit carries what the command printed.
    if (error instanceof CommandExitError) return { passed: false, lines: lines(error.stdout) };
    throw error;
  }
}

// The tests.

let emulator: Emulator;
let opts: { apiUrl: string; sandboxUrl: string; apiKey: string };
/** The sandboxes a test made; each is killed after its test. */
const made: Sandbox[] = [];

beforeAll(async () => {
  // Port 0: a free port, so test files can run side by side.
  emulator = await createEmulator({ port: 0, providers: ['e2b'] });
  const { origin } = await emulator.listen();
  // Given here, they beat E2B_API_URL / E2B_SANDBOX_URL / E2B_API_KEY: no call reaches E2B's cloud.
  opts = { apiUrl: `${origin}/e2b`, sandboxUrl: `${origin}/e2b/envd`, apiKey: 'e2b_0123456789abcdef' };
});

afterEach(async () => {
  // Ends each sandbox's processes and removes its folder.
  await Promise.all(made.splice(0).map((sandbox) => sandbox.kill()));
  // Every answer the emulator gave matched our E2B documents.
  expect(emulator.app.violations).toEqual([]);
});

afterAll(async () => {
  await emulator?.close();
});

describe('runChecks', () => {
  const newSandbox = async () => {
    const sandbox = await Sandbox.create({ ...opts, timeoutMs: 60_000 });
    made.push(sandbox);
    return sandbox;
  };

  it('hands back every line the script prints and reports a pass', async () => {
    const sandbox = await newSandbox();
    expect(await runChecks(sandbox, 'echo lint ok\necho tests ok\necho $((6 * 7))\n')).toEqual({ passed: true, lines: ['lint ok', 'tests ok', '42'] });
  });

  it('reports a failing script as failed, with what it printed before', async () => {
    const sandbox = await newSandbox();
    expect(await runChecks(sandbox, 'echo lint ok\nexit 2\n')).toEqual({ passed: false, lines: ['lint ok'] });
  });
});
