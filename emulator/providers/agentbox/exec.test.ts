import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { alive, startAgentBox, type AgentBoxTarget } from '../../test-support/agentbox-kit.ts';

let t: AgentBoxTarget;
let observed: AgentBoxTarget;
beforeAll(async () => {
  [t, observed] = await Promise.all([
    startAgentBox({ pools: [{ name: 'brief', containers: [{ name: 'sandbox', command: 'echo bye' }] }] }),
    startAgentBox({ fidelity: 'observed' }),
  ]);
});
afterAll(async () => {
  await Promise.all([t?.emulator.close(), observed?.emulator.close()]);
});
afterEach(() => {
  expect(t.emulator.app.violations).toEqual([]);
  expect(observed.emulator.app.violations).toEqual([]);
});

describe('AgentBox exec', () => {
  it('runs a real command and answers its exit code, stdout and stderr apart (a non-zero exit is still 200)', async () => {
    const box = await t.client.create();
    const result = await t.client.exec(box.sandboxId, 'echo a; sleep 0.1; echo b >&2; sleep 0.1; echo c; exit 3');
    expect(result).toEqual({ exitCode: 3, stdout: 'a\nc\n', stderr: 'b\n' });
  });

  it('says in X-Emulator-Output-Dropped how many bytes of its output an answer lacks (the 10 MiB cap)', async () => {
    const small = await startAgentBox({ outputCapBytes: 100 });
    try {
      const box = await small.client.create();
      const cut = await small.client.postJson(`/v1/sandboxes/${box.sandboxId}/exec`, { command: 'head -c 150 /dev/zero | tr "\\0" o; head -c 130 /dev/zero | tr "\\0" e >&2' });
      expect(cut.headers.get('x-emulator-output-dropped')).toBe('80');
      expect(await cut.json()).toEqual({ exitCode: 0, stdout: 'o'.repeat(100), stderr: 'e'.repeat(100) });
      const whole = await small.client.postJson(`/v1/sandboxes/${box.sandboxId}/exec`, { command: 'echo fits' });
      expect(whole.headers.get('x-emulator-output-dropped')).toBeNull();
      expect(small.emulator.app.violations).toEqual([]);
    } finally {
      await small.emulator.close();
    }
  });

  it("runs in the sandbox's own folder, shared by every exec, with the pod's name as hostname", async () => {
    const box = await t.client.create();
    expect(await t.client.exec(box.sandboxId, 'printf made > here.txt')).toMatchObject({ exitCode: 0 });
    const read = await t.client.exec(box.sandboxId, 'cat here.txt; echo; echo "$HOSTNAME"; pwd');
    const [content, hostname, pwd] = read.stdout.trim().split('\n');
    expect(content).toBe('made');
    expect(hostname).toBe(box.podName);
    expect(pwd).toContain(box.sandboxId);
  });

  it('kills the command and its group when timeoutSeconds runs out, answering exit code 124', async () => {
    const box = await t.client.create();
    const started = Date.now();
    const result = await t.client.exec(box.sandboxId, 'echo $$ > exec.pid; sleep 30 & echo $! > child.pid; echo started; wait', 1);
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(result).toEqual({ exitCode: 124, stdout: 'started\n', stderr: '' });
    const pids = await t.client.exec(box.sandboxId, 'cat exec.pid child.pid');
    for (const pid of pids.stdout.trim().split('\n').map(Number)) expect(alive(pid), `pid ${pid}`).toBe(false);
  });

  it('refuses a sandbox that is not Running with 400', async () => {
    const box = await t.client.create('brief');
    await t.client.waitForEnd(box.sandboxId);
    const response = await t.client.postJson(`/v1/sandboxes/${box.sandboxId}/exec`, { command: 'true' });
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({ error: 'sandbox is not in Running phase; exec is only available for running sandboxes' });
  });

  it('answers 404 for an unknown or released sandbox', async () => {
    const unknown = await t.client.postJson('/v1/sandboxes/nope/exec', { command: 'true' });
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toEqual({ error: 'sandbox default/nope not found or already terminated' });
    const box = await t.client.create();
    expect((await t.client.fetch(`/v1/sandboxes/${box.sandboxId}`, { method: 'DELETE' })).status).toBe(202);
    expect((await t.client.postJson(`/v1/sandboxes/${box.sandboxId}/exec`, { command: 'true' })).status).toBe(404);
  });

  it.each([
    ['a malformed JSON body', '{"command": "echo', /^invalid request body: the body is not valid JSON/],
    ['no command', {}, /^command is required$/],
    ['a blank command', { command: ' ' }, /^command is required$/],
    ['a command of the wrong type', { command: ['echo', 'hi'] }, /^invalid request body: 'command' must be string/],
    ['a timeout of the wrong type', { command: 'true', timeoutSeconds: 'soon' }, /^invalid request body: 'timeoutSeconds' must be integer/],
    ['a timeout below the documented 1..300 (spec fidelity)', { command: 'true', timeoutSeconds: 0 }, /^invalid request body: 'timeoutSeconds' must be >= 1/],
  ])('refuses %s with 400', async (_name, body, message) => {
    const box = await t.client.create();
    const response = await t.client.postJson(`/v1/sandboxes/${box.sandboxId}/exec`, body);
    expect(response.status).toBe(400);
    expect(((await response.json()) as { error: string }).error).toMatch(message);
  });

  it('clamps timeoutSeconds outside 1..300 instead of refusing it (observed, quirk exec-timeout-clamped)', async () => {
    const box = await observed.client.create();
    expect(await observed.client.exec(box.sandboxId, 'echo zero', 0)).toEqual({ exitCode: 0, stdout: 'zero\n', stderr: '' });
    expect(await observed.client.exec(box.sandboxId, 'echo big', 5000)).toEqual({ exitCode: 0, stdout: 'big\n', stderr: '' });
    // Only the bound is relaxed: a timeout that is not a number is still refused.
    const response = await observed.client.postJson(`/v1/sandboxes/${box.sandboxId}/exec`, { command: 'true', timeoutSeconds: 'x' });
    expect(response.status).toBe(400);
  });
});
