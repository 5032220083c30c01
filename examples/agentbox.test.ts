// Testing your own code that calls the AgentBox API with fetch, offline.
//
// setupEmulator answers, in this process (through msw), on the AgentBox endpoint you give it, so
// the code under test runs unchanged: no server, no port, no network. Sandboxes are made from
// pools; the `default` pool has one long-running container, and commands sent to exec really
// run, as child processes in a temporary folder per sandbox.

import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
// In your project: import { setupEmulator } from 'sandbox-emulator/msw';
import { setupEmulator } from '../exports/msw.ts';

// The code under test. Yours lives in your own source tree.

interface AgentBoxConfig {
  /** AGENTBOX_ENDPOINT: the server, without /v1. */
  endpoint: string;
  /** AGENTBOX_API_KEY. */
  apiKey: string;
}

/** Claims a sandbox from a pool, runs one command in it, releases it, and says how it went. */
async function runInSandbox(config: AgentBoxConfig, command: string, poolName = 'default') {
  const api = (path: string, init: RequestInit = {}) =>
    fetch(`${config.endpoint}/v1${path}`, {
      ...init,
      headers: { 'AGENTBOX-API-KEY': config.apiKey, 'Content-Type': 'application/json', ...init.headers },
    });
  const created = await api('/sandboxes', { method: 'POST', body: JSON.stringify({ poolName }) });
  if (created.status !== 201) throw new Error(`Failed to create a sandbox: ${created.status} ${await created.text()}`);
  const { sandbox } = (await created.json()) as { sandbox: { sandboxId: string } };
  try {
    const exec = await api(`/sandboxes/${sandbox.sandboxId}/exec`, { method: 'POST', body: JSON.stringify({ command }) });
    if (exec.status !== 200) throw new Error(`Failed to run the command: ${exec.status} ${await exec.text()}`);
    const { exitCode, stdout, stderr } = (await exec.json()) as { exitCode: number; stdout: string; stderr: string };
    return { ok: exitCode === 0, exitCode, stdout, stderr };
  } finally {
    await api(`/sandboxes/${sandbox.sandboxId}`, { method: 'DELETE' });
  }
}

// The tests.

const config: AgentBoxConfig = { endpoint: 'https://agentbox.local', apiKey: 'agbx_test' };

const emulator = setupEmulator({
  providers: ['agentbox'],
  // Where your code thinks AgentBox is (the default is https://agentbox.local too).
  agentboxEndpoint: config.endpoint,
  // With a key set, a call without the AGENTBOX-API-KEY header gets AgentBox's own 401.
  tokens: { agentbox: config.apiKey },
  // A request to a host the emulator does not answer fails the test instead of going out.
  onUnhandledRequest: 'error',
});

beforeAll(() => emulator.start());

afterEach(async () => {
  // Every answer the emulator gave matched AgentBox's API document.
  expect(emulator.app.violations).toEqual([]);
  // Ends every process and forgets every sandbox, so each test starts clean.
  await emulator.reset();
});

afterAll(() => emulator.close());

describe('runInSandbox', () => {
  it('returns what the command printed', async () => {
    const result = await runInSandbox(config, 'echo hello; echo $((6 * 7))');
    expect(result).toEqual({ ok: true, exitCode: 0, stdout: 'hello\n42\n', stderr: '' });
  });

  it('reports a failing command with its exit code and its stderr', async () => {
    const result = await runInSandbox(config, 'echo "no such file" >&2; exit 2');
    expect(result).toEqual({ ok: false, exitCode: 2, stdout: '', stderr: 'no such file\n' });
  });
});
