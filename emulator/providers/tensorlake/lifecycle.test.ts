import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { alive, eventually, SandboxClient, startTensorlake, type TensorlakeTarget } from '../../test-support/tensorlake-kit.ts';

// The lifecycle subset the SDKs call on a localhost API URL, and its link to the runtime API.

let tl: TensorlakeTarget;
beforeAll(async () => {
  tl = await startTensorlake();
});
afterAll(async () => {
  await tl.emulator.close();
});
afterEach(() => {
  expect(tl.emulator.app.violations).toEqual([]);
});

function lifecycle(path: string, init: RequestInit = {}): Promise<Response> {
  return fetch(`${tl.api}/v1/namespaces${path}`, init);
}

function create(namespace: string, body?: unknown): Promise<Response> {
  return lifecycle(`/${namespace}/sandboxes`, body === undefined ? { method: 'POST' } : { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
}

describe('tensorlake lifecycle', () => {
  it('creates a running sandbox whose sandbox_url serves the runtime API', async () => {
    const response = await create('default', { name: 'my-box', resources: { cpus: 2, memory_mb: 2048, disk_mb: 4096 }, timeout_secs: 600 });
    expect(response.status).toBe(200);
    const info = await response.json();
    expect(info).toMatchObject({
      id: expect.stringMatching(/^sbx-[a-z0-9]+$/),
      namespace: 'default',
      status: 'running',
      name: 'my-box',
      resources: { cpus: 2, memory_mb: 2048, ephemeral_disk_mb: 4096 },
      timeout_secs: 600,
      created_at: expect.any(Number),
    });
    expect(info.sandbox_id).toBe(info.id);
    expect(info.sandbox_url).toBe(tl.emulator.urls.tensorlake.sandbox(info.id));

    const box = new SandboxClient(info.sandbox_url);
    const proc = await box.start({ command: 'echo', args: ['from', info.id] });
    await box.waitForEnd(proc.pid);
    expect(await box.lines(proc.pid, 'stdout')).toEqual([`from ${info.id}`]);

    const byId = await lifecycle(`/default/sandboxes/${info.id}`);
    expect(byId.status).toBe(200);
    expect(await byId.json()).toMatchObject({ id: info.id, sandbox_url: info.sandbox_url });
    // A name passed to Sandbox.connect arrives where the id goes.
    expect((await (await lifecycle('/default/sandboxes/my-box')).json()).id).toBe(info.id);
    const list = (await (await lifecycle('/default/sandboxes')).json()) as { sandboxes: Array<{ id: string }> };
    expect(list.sandboxes.map((s) => s.id)).toContain(info.id);
  });

  it('creates with no body at all, and lists by namespace', async () => {
    const response = await create('team-a');
    expect(response.status).toBe(200);
    const info = await response.json();
    expect(info).toMatchObject({ namespace: 'team-a', resources: { cpus: 1, memory_mb: 1024, ephemeral_disk_mb: 0 } });
    const inTeam = (await (await lifecycle('/team-a/sandboxes')).json()) as { sandboxes: Array<{ id: string }> };
    expect(inTeam.sandboxes.map((s) => s.id)).toEqual([info.id]);
    expect((await lifecycle(`/default/sandboxes/${info.id}`)).status).toBe(404);
  });

  it('lists a sandbox that came into being through the runtime API, in the default namespace', async () => {
    const box = tl.sandbox('sbx-proxy-only');
    await box.fetch('/api/v1/processes');
    const found = await lifecycle('/default/sandboxes/sbx-proxy-only');
    expect(found.status).toBe(200);
    expect(await found.json()).toMatchObject({ id: 'sbx-proxy-only', sandbox_url: box.base, status: 'running' });
  });

  it('delete ends the sandbox processes; then get answers it terminated (the SDK waits for that) and a second delete 404s', async () => {
    const info = await (await create('default', { name: 'short-lived' })).json();
    const box = new SandboxClient(info.sandbox_url);
    const proc = await box.start({ command: 'sleep', args: ['30'] });
    expect(alive(proc.pid)).toBe(true);

    const before = Date.now();
    const deleted = await lifecycle(`/default/sandboxes/${info.id}`, { method: 'DELETE' });
    expect(deleted.status).toBe(200);
    expect(await deleted.json()).toEqual({});
    await eventually(() => !alive(proc.pid), `pid ${proc.pid} to end`);

    for (const wanted of [info.id, 'short-lived']) {
      const got = await lifecycle(`/default/sandboxes/${wanted}`);
      expect(got.status).toBe(200);
      const terminated = await got.json();
      expect(terminated).toMatchObject({ id: info.id, name: 'short-lived', namespace: 'default', status: 'terminated', created_at: info.created_at });
      expect(terminated.terminated_at).toBeGreaterThanOrEqual(before);
      expect(terminated).not.toHaveProperty('sandbox_url');
    }
    // Not in another namespace, and not listed among the live ones.
    expect((await lifecycle(`/team-b/sandboxes/${info.id}`)).status).toBe(404);
    const list = (await (await lifecycle('/default/sandboxes')).json()) as { sandboxes: Array<{ id: string }> };
    expect(list.sandboxes.map((s) => s.id)).not.toContain(info.id);

    const again = await lifecycle(`/default/sandboxes/${info.id}`, { method: 'DELETE' });
    expect(again.status).toBe(404);
    expect(await again.json()).toEqual({ error: 'Sandbox not found', code: 'SANDBOX_NOT_FOUND' });
  });

  it('answers a malformed or mistyped create body with 400 in the envelope', async () => {
    const malformed = await lifecycle('/default/sandboxes', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{' });
    expect(malformed.status).toBe(400);
    expect(await malformed.json()).toEqual({ error: 'Failed to parse the request body as JSON: EOF while parsing an object at line 1 column 1' });
    const mistyped = await create('default', { timeout_secs: 'soon' });
    expect(mistyped.status).toBe(400);
    expect(await mistyped.json()).toEqual({ error: expect.stringMatching(/^Failed to deserialize the JSON body into the target type: .*timeout_secs/) });
    const route = await lifecycle('/default/elsewhere');
    expect(route.status).toBe(404);
    expect((await route.json()).code).toBe('NOT_FOUND');
  });
});
