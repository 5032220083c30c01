import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { alive, printedPids, startAgentBox, type AgentBoxTarget } from '../../test-support/agentbox-kit.ts';

const POOLS = [
  { name: 'fails', containers: [{ name: 'sandbox', command: 'echo a; sleep 0.1; echo b >&2; sleep 0.1; echo c; exit 3' }] },
  { name: 'succeeds', containers: [{ name: 'sandbox', command: 'echo done' }] },
  // The main container prints its shell's pid and a child's, so the test can look for them.
  { name: 'family', containers: [{ name: 'sandbox', command: 'echo pid=$$; sleep 1000 & echo child=$!; wait' }] },
  { name: 'stubborn', containers: [{ name: 'sandbox', command: "trap '' TERM; echo pid=$$; sleep 1000 & echo child=$!; wait" }] },
];

let t: AgentBoxTarget;
beforeAll(async () => {
  t = await startAgentBox({ pools: POOLS, stopGraceMs: 300 });
});
afterAll(async () => {
  await t?.emulator.close();
});
afterEach(() => {
  // Strict mode: every response was checked against specs/agentbox.yaml.
  expect(t.emulator.app.violations).toEqual([]);
});

/** Reads the main container's stream until the `pid=` and `child=` lines have come. */
async function pidsOf(id: string): Promise<{ pid: number; child: number }> {
  const reader = await t.client.stream(id);
  const seen: string[] = [];
  while (!('pid' in printedPids(seen) && 'child' in printedPids(seen))) {
    const line = await reader.next();
    if (line === null) throw new Error(`the stream ended before the pids came: ${seen.join(' | ')}`);
    seen.push(line.log);
  }
  await reader.cancel();
  return printedPids(seen) as { pid: number; child: number };
}

describe('AgentBox sandboxes', () => {
  it('answers the liveness probe', async () => {
    const response = await t.client.fetch('/ping');
    expect(response.status).toBe(200);
    expect(response.headers.get('x-agentbox-server-version')).toBe('sandbox-emulator');
    expect(await response.json()).toEqual({ status: 'ok' });
  });

  it('claims a Running sandbox from the built-in default pool', async () => {
    const response = await t.client.postJson('/v1/sandboxes', { poolName: 'default', metadata: { owner: 'ci' }, idleTimeout: '15m' });
    expect(response.status).toBe(201);
    expect(response.headers.get('x-agentbox-server-version')).toBe('sandbox-emulator');
    const { sandbox } = (await response.json()) as { sandbox: Record<string, unknown> };
    expect(sandbox.sandboxId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(sandbox).toMatchObject({ namespace: 'default', poolName: 'default', status: 'Running', metadata: { owner: 'ci' }, idleTimeoutSeconds: 900 });
    expect(sandbox.podName).toMatch(/^default-[a-z0-9]{5}$/);
    expect(sandbox.claimedAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    const again = await t.client.get(String(sandbox.sandboxId));
    expect(again.status).toBe('Running');
    expect(again.exitCode).toBeUndefined();
  });

  it('shows Failed with exit code 3 once the main container exits 3, and its log holds both streams in order', async () => {
    const created = await t.client.create('fails');
    const ended = await t.client.waitForEnd(created.sandboxId);
    expect(ended).toMatchObject({ status: 'Failed', exitCode: 3, failureReason: 'Error' });
    expect(ended.terminatedAt).toBeDefined();
    const logs = await t.client.logs(created.sandboxId);
    expect(logs.entries.map((e) => [e.container, e.log])).toEqual([
      ['sandbox', 'a'],
      ['sandbox', 'b'],
      ['sandbox', 'c'],
    ]);
  });

  it('shows Completed with exit code 0 when the main container succeeds', async () => {
    const created = await t.client.create('succeeds');
    expect(await t.client.waitForEnd(created.sandboxId)).toMatchObject({ status: 'Completed', exitCode: 0 });
  });

  it('releases a long-running sandbox: 202 Stopping, its process group ends, the history keeps it as Released', async () => {
    const created = await t.client.create('family');
    const { pid, child } = await pidsOf(created.sandboxId);
    expect(alive(pid)).toBe(true);
    expect(alive(child)).toBe(true);
    const response = await t.client.fetch(`/v1/sandboxes/${created.sandboxId}`, { method: 'DELETE' });
    expect(response.status).toBe(202);
    expect(await response.json()).toEqual({
      sandboxId: created.sandboxId,
      namespace: 'default',
      poolName: 'family',
      podName: created.podName,
      status: 'Stopping',
    });
    const released = await t.client.until(created.sandboxId, (s) => s.status !== 'Stopping');
    expect(released.status).toBe('Released');
    expect(released.exitCode).toBe(143); // 128 + SIGTERM
    expect(alive(pid)).toBe(false);
    expect(alive(child)).toBe(false);
    const twice = await t.client.fetch(`/v1/sandboxes/${created.sandboxId}`, { method: 'DELETE' });
    expect(twice.status).toBe(404);
    expect(await twice.json()).toEqual({ error: `sandbox default/${created.sandboxId} not found or already terminated` });
  });

  it('kills what ignores SIGTERM once the grace has passed', async () => {
    const created = await t.client.create('stubborn');
    const { pid, child } = await pidsOf(created.sandboxId);
    const response = await t.client.fetch(`/v1/sandboxes/${created.sandboxId}`, { method: 'DELETE' });
    expect(response.status).toBe(202);
    const released = await t.client.until(created.sandboxId, (s) => s.status !== 'Stopping');
    expect(released).toMatchObject({ status: 'Released', exitCode: 137 }); // 128 + SIGKILL
    expect(alive(pid)).toBe(false);
    expect(alive(child)).toBe(false);
  });

  it('answers Terminated when releasing a sandbox whose containers have all ended, and keeps its outcome', async () => {
    const created = await t.client.create('fails');
    await t.client.waitForEnd(created.sandboxId);
    const response = await t.client.fetch(`/v1/sandboxes/${created.sandboxId}`, { method: 'DELETE' });
    expect(response.status).toBe(202);
    expect(await response.json()).toMatchObject({ status: 'Terminated' });
    expect(await t.client.get(created.sandboxId)).toMatchObject({ status: 'Failed', exitCode: 3 });
  });

  it('lists newest first, filtered by pool and comma-separated statuses, paged by limit and offset', async () => {
    const a = await t.client.create('succeeds');
    const b = await t.client.create('succeeds');
    await t.client.waitForEnd(a.sandboxId);
    await t.client.waitForEnd(b.sandboxId);
    const running = await t.client.create('default');
    const list = async (query: string) => {
      const response = await t.client.fetch(`/v1/sandboxes?${query}`);
      expect(response.status).toBe(200);
      return (await response.json()) as { items: Array<{ sandboxId: string; status: string; poolName: string }>; total: number; limit: number; offset: number };
    };
    const succeeded = await list('poolName=succeeds');
    expect(succeeded.items.map((i) => i.sandboxId).slice(0, 2)).toEqual([b.sandboxId, a.sandboxId]);
    expect(succeeded).toMatchObject({ limit: 20, offset: 0 });
    expect(succeeded.items.every((i) => i.poolName === 'succeeds')).toBe(true);
    const mixed = await list('status=Completed,%20Running');
    expect(mixed.items.map((i) => i.sandboxId)).toEqual(expect.arrayContaining([a.sandboxId, b.sandboxId, running.sandboxId]));
    expect(mixed.items.every((i) => i.status === 'Completed' || i.status === 'Running')).toBe(true);
    expect(mixed.total).toBe(mixed.items.length);
    const page = await list('poolName=succeeds&limit=1&offset=1');
    expect(page).toMatchObject({ limit: 1, offset: 1, total: succeeded.total });
    expect(page.items.map((i) => i.sandboxId)).toEqual([succeeded.items[1].sandboxId]);
    const bad = await t.client.fetch('/v1/sandboxes?limit=abc');
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: string }).error).toMatch(/limit/);
  });

  it('refuses an unknown pool with 404 and the pools that do exist', async () => {
    const response = await t.client.postJson('/v1/sandboxes', { poolName: 'nodejs-22' });
    expect(response.status).toBe(404);
    const body = (await response.json()) as { error: string; detail: { availablePools: Array<{ name: string; namespace: string }>; hint: string } };
    expect(body.error).toBe('sandbox pool default/nodejs-22 not found');
    expect(body.detail.availablePools.map((p) => p.name)).toEqual(['default', ...POOLS.map((p) => p.name)]);
    expect(body.detail.availablePools[0]).toMatchObject({ namespace: 'default', idle: 1, starting: 0 });
    expect(body.detail.hint).toBeTruthy();
  });

  it.each([
    ['a missing poolName', {}, 'poolName is required'],
    ['a blank poolName', { poolName: '  ' }, 'poolName is required'],
    ['a poolName of the wrong type', { poolName: 42 }, "invalid request body: 'poolName' must be string"],
    ['metadata that is not a string map', { poolName: 'default', metadata: { n: 1 } }, undefined],
    ['an idleTimeout that is not a duration', { poolName: 'default', idleTimeout: 'soon' }, 'invalid idleTimeout "soon": must be a positive duration such as 90s or 15m'],
    ['a zero startupTimeout', { poolName: 'default', startupTimeout: '0' }, 'invalid startupTimeout "0": must be a positive duration such as 90s or 15m'],
  ])('refuses %s with 400', async (_name, body, message) => {
    const response = await t.client.postJson('/v1/sandboxes', body);
    expect(response.status).toBe(400);
    const json = (await response.json()) as { error: string };
    if (message) expect(json.error).toBe(message);
    else expect(json.error).toMatch(/^invalid request body: /);
  });

  it('refuses a malformed JSON body with 400', async () => {
    const response = await t.client.postJson('/v1/sandboxes', '{"poolName": ');
    expect(response.status).toBe(400);
    expect(((await response.json()) as { error: string }).error).toMatch(/^invalid request body: the body is not valid JSON/);
    const empty = await t.client.fetch('/v1/sandboxes', { method: 'POST' });
    expect(empty.status).toBe(400);
    expect(await empty.json()).toEqual({ error: 'invalid request body: a JSON body is required' });
  });

  it('answers 404 in the AgentBox envelope for unknown sandboxes and routes', async () => {
    const id = '0190f3a2-0000-7000-8000-000000000000';
    for (const [method, path] of [
      ['GET', `/v1/sandboxes/${id}`],
      ['DELETE', `/v1/sandboxes/${id}`],
      ['GET', `/v1/sandboxes/${id}/logs`],
    ]) {
      const response = await t.client.fetch(path, { method });
      expect(response.status, `${method} ${path}`).toBe(404);
      expect(await response.json()).toEqual({ error: `sandbox default/${id} not found or already terminated` });
    }
    const route = await t.client.fetch('/v1/nowhere');
    expect(route.status).toBe(404);
    expect(route.headers.get('x-agentbox-server-version')).toBe('sandbox-emulator');
    expect(((await route.json()) as { error: string }).error).toMatch(/^Failed to route GET \/v1\/nowhere/);
  });
});

describe('AgentBox authentication', () => {
  let secured: AgentBoxTarget;
  beforeAll(async () => {
    secured = await startAgentBox({ tokens: { agentbox: 'agbx_test' } });
  });
  afterAll(async () => {
    await secured?.emulator.close();
  });
  afterEach(() => {
    expect(secured.emulator.app.violations).toEqual([]);
  });

  it('answers 401 without the key or with a wrong one, and lets the right key and /ping through', async () => {
    const missing = await secured.client.fetch('/v1/sandboxes');
    expect(missing.status).toBe(401);
    expect(missing.headers.get('x-agentbox-server-version')).toBe('sandbox-emulator');
    expect(await missing.json()).toEqual({ error: 'missing api key' });
    const wrong = await secured.client.withHeaders({ 'AGENTBOX-API-KEY': 'agbx_nope' }).fetch('/v1/sandboxes');
    expect(wrong.status).toBe(401);
    expect(await wrong.json()).toEqual({ error: 'invalid api key' });
    const stream = await secured.client.fetch('/v1/sandboxes/x/logs/stream');
    expect(stream.status).toBe(401);
    const right = await secured.client.withHeaders({ 'AGENTBOX-API-KEY': ' agbx_test ' }).fetch('/v1/sandboxes');
    expect(right.status).toBe(200);
    expect((await secured.client.fetch('/ping')).status).toBe(200);
  });
});

describe('AgentBox shutdown', () => {
  it('leaves no process alive after emulator.close()', async () => {
    const target = await startAgentBox({ pools: POOLS });
    try {
      const created = await target.client.create('family');
      const reader = await target.client.stream(created.sandboxId);
      const seen: string[] = [];
      while (!('child' in printedPids(seen))) seen.push((await reader.next()).log);
      await reader.cancel();
      const { pid, child } = printedPids(seen);
      // An exec left running in the background belongs to the sandbox too.
      const exec = await target.client.exec(created.sandboxId, 'sleep 1000 > /dev/null 2>&1 & echo $!');
      const background = Number(exec.stdout.trim());
      for (const p of [pid, child, background]) expect(alive(p)).toBe(true);
      await target.emulator.close();
      for (const p of [pid, child, background]) expect(alive(p), `pid ${p}`).toBe(false);
      expect(target.emulator.app.violations).toEqual([]);
    } finally {
      await target.emulator.close();
    }
  });
});

describe('AgentBox list limits', () => {
  it('allows limit up to the documented 1000 (spec) and lowers anything above 100 to 100 (observed: list-limit-clamped-to-100)', async () => {
    const seen = await startAgentBox({ fidelity: 'observed' });
    try {
      const spec500 = await t.client.fetch('/v1/sandboxes?limit=500');
      expect(await spec500.json()).toMatchObject({ limit: 500 });
      expect((await t.client.fetch('/v1/sandboxes?limit=5000')).status).toBe(400);
      for (const limit of ['500', '5000']) {
        const response = await seen.client.fetch(`/v1/sandboxes?limit=${limit}`);
        expect(response.status).toBe(200);
        expect(await response.json()).toMatchObject({ limit: 100, offset: 0 });
      }
      expect(seen.emulator.app.violations).toEqual([]);
    } finally {
      await seen.emulator.close();
    }
  });
});
