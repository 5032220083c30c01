// A user's vitest file, run by package.test.ts in a fresh project where the packed
// sandbox-emulator is installed: the one-line helpers of 'sandbox-emulator/vitest'.
import { SandboxInstance } from '@blaxel/core';
import { useEmulator, useEmulatorServer } from 'sandbox-emulator/vitest';
import { describe, expect, it } from 'vitest';

describe('useEmulator (msw) with the real @blaxel/core', () => {
  // It also sets the environment the SDK needs for the emulator's hosts, for this block only.
  const emulator = useEmulator({ providers: ['blaxel'], onUnhandledRequest: 'error' });

  it('runs a command in a sandbox made through the control plane', async () => {
    const sandbox = await SandboxInstance.create({ metadata: { name: 'vitest-msw' }, spec: {} });
    const result = await sandbox.process.exec({ command: 'echo "vitest $((6 * 7))"', waitForCompletion: true });
    expect(result).toMatchObject({ exitCode: 0, stdout: 'vitest 42\n' });
    expect(emulator.app.violations).toEqual([]);
  });

  it('starts each test clean', async () => {
    const sandbox = await SandboxInstance.create({ metadata: { name: 'vitest-msw' }, spec: {} });
    expect(await sandbox.process.list()).toEqual([]);
  });
});

describe('useEmulatorServer (HTTP)', () => {
  const server = useEmulatorServer({ providers: ['agentbox'] });

  it('answers on a free port of 127.0.0.1', async () => {
    expect(server.urls.agentbox.endpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/agentbox$/);
    const answer = await fetch(`${server.urls.agentbox.endpoint}/ping`);
    expect(answer.status).toBe(200);
  });
});
