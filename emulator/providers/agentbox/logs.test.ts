import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startAgentBox, type AgentBoxTarget } from '../../test-support/agentbox-kit.ts';

const POOLS = [
  { name: 'counter', containers: [{ name: 'sandbox', command: 'for i in 1 2 3 4 5; do echo "line $i"; done; echo; echo oops >&2' }] },
  {
    name: 'pair',
    containers: [
      // Not first, but named `sandbox`: it is the sandbox's own container.
      { name: 'helper', command: 'echo helper says hi; sleep 1000' },
      { name: 'sandbox', command: 'echo main says hi; sleep 1000' },
    ],
  },
  // Waits on a fifo that an exec writes to: the test decides when the container ends, without sleeping.
  { name: 'gated', containers: [{ name: 'sandbox', command: 'mkfifo gate; echo first; cat gate; echo last' }] },
  { name: 'chatty', containers: [{ name: 'sandbox', command: 'seq 1 20000' }] },
];

const chattyBytes = Array.from({ length: 20000 }, (_, i) => String(i + 1).length + 1).reduce((a, b) => a + b, 0);

let t: AgentBoxTarget;
let observed: AgentBoxTarget;
beforeAll(async () => {
  [t, observed] = await Promise.all([startAgentBox({ pools: POOLS }), startAgentBox({ pools: POOLS, fidelity: 'observed' })]);
});
afterAll(async () => {
  await Promise.all([t?.emulator.close(), observed?.emulator.close()]);
});
afterEach(() => {
  expect(t.emulator.app.violations).toEqual([]);
  expect(observed.emulator.app.violations).toEqual([]);
});

describe('AgentBox GetSandboxLogs', () => {
  it('answers every non-empty line of the main container, both streams, with the snapshot fields', async () => {
    const box = await t.client.create('counter');
    await t.client.waitForEnd(box.sandboxId);
    const logs = await t.client.logs(box.sandboxId);
    expect(logs.entries.map((e) => e.log)).toEqual(['line 1', 'line 2', 'line 3', 'line 4', 'line 5', 'oops']);
    expect(logs).toMatchObject({ sandboxId: box.sandboxId, namespace: 'default', podName: box.podName, source: 'live', truncated: false, containers: ['sandbox'] });
    expect(logs.totalBytes).toBe(5 * 7 + 1 + 5);
    expect(Date.parse(logs.capturedAt!)).not.toBeNaN();
    for (const entry of logs.entries) {
      expect(entry.container).toBe('sandbox');
      expect(Date.parse(entry.timestamp!)).not.toBeNaN();
    }
  });

  it('answers the last N lines for lines=N, marked truncated', async () => {
    const box = await t.client.create('counter');
    await t.client.waitForEnd(box.sandboxId);
    const logs = await t.client.logs(box.sandboxId, { lines: '2' });
    expect(logs.entries.map((e) => e.log)).toEqual(['line 5', 'oops']);
    expect(logs.truncated).toBe(true);
    expect((await t.client.logs(box.sandboxId, { lines: '0' })).entries).toHaveLength(6);
    expect((await t.client.logs(box.sandboxId, { lines: '6' })).truncated).toBe(false);
  });

  it("reads the sandbox's own container unless `container` names another, and refuses an unknown one", async () => {
    const box = await t.client.create('pair');
    const reader = await t.client.stream(box.sandboxId);
    expect((await reader.next()).log).toBe('main says hi');
    await reader.cancel();
    const own = await t.client.logs(box.sandboxId);
    expect(own.entries).toEqual([expect.objectContaining({ container: 'sandbox', log: 'main says hi' })]);
    expect(own.containers).toEqual(['sandbox', 'helper']);
    const follow = await t.client.stream(box.sandboxId, { container: 'helper' });
    expect((await follow.next()).log).toBe('helper says hi');
    await follow.cancel();
    const helper = await t.client.logs(box.sandboxId, { container: 'helper' });
    expect(helper.entries).toEqual([expect.objectContaining({ container: 'helper', log: 'helper says hi' })]);
    const unknown = await t.client.fetch(`/v1/sandboxes/${box.sandboxId}/logs?container=egress-proxy`);
    expect(unknown.status).toBe(400);
    expect(await unknown.json()).toEqual({ error: `sandbox default/${box.sandboxId} has no container "egress-proxy"; it has sandbox, helper` });
  });

  it('keeps at most the cap, and says so with truncated and the full totalBytes', async () => {
    const capped = await startAgentBox({ pools: POOLS, outputCapBytes: 1024 });
    try {
      const box = await capped.client.create('chatty');
      await capped.client.waitForEnd(box.sandboxId);
      const logs = await capped.client.logs(box.sandboxId);
      const held = logs.entries.reduce((n, e) => n + Buffer.byteLength(e.log) + 1, 0);
      expect(held).toBeLessThanOrEqual(1024 + 1);
      expect(held).toBeGreaterThan(900);
      expect(logs.entries.at(-1)!.log).toBe('20000');
      expect(logs.totalBytes).toBe(chattyBytes);
      expect(logs.truncated).toBe(true);
      expect(capped.emulator.app.violations).toEqual([]);
    } finally {
      await capped.emulator.close();
    }
  });

  it('refuses a runtime source with 400, since emulated pools have no runtimes', async () => {
    const box = await t.client.create();
    const runtime = await t.client.fetch(`/v1/sandboxes/${box.sandboxId}/logs?source=envd`);
    expect(runtime.status).toBe(400);
    expect(await runtime.json()).toEqual({ error: 'runtime "envd" not found in pool default' });
    const unknown = await t.client.fetch('/v1/sandboxes/nope/logs?source=envd');
    expect(unknown.status).toBe(400);
    expect(await unknown.json()).toEqual({ error: 'runtime logs are only available for active sandboxes; sandbox not found or already terminated' });
    expect((await t.client.logs(box.sandboxId, { source: 'stdout' })).source).toBe('live');
  });

  it('answers 404 once the sandbox is released (no central log service)', async () => {
    const box = await t.client.create();
    await t.client.fetch(`/v1/sandboxes/${box.sandboxId}`, { method: 'DELETE' });
    const response = await t.client.fetch(`/v1/sandboxes/${box.sandboxId}/logs`);
    expect(response.status).toBe(404);
    expect(((await response.json()) as { error: string }).error).toMatch(/has ended and its pod was recycled/);
  });

  it('refuses lines outside 0..10000 with 400 (spec) and reads a negative one as everything (observed)', async () => {
    const box = await t.client.create('counter');
    await t.client.waitForEnd(box.sandboxId);
    const refused = await t.client.fetch(`/v1/sandboxes/${box.sandboxId}/logs?lines=-1`);
    expect(refused.status).toBe(400);
    expect(((await refused.json()) as { error: string }).error).toMatch(/^Invalid format for parameter lines/);
    const notANumber = await t.client.fetch(`/v1/sandboxes/${box.sandboxId}/logs?lines=two`);
    expect(notANumber.status).toBe(400);

    const seen = await observed.client.create('counter');
    await observed.client.waitForEnd(seen.sandboxId);
    expect((await observed.client.logs(seen.sandboxId, { lines: '-1' })).entries).toHaveLength(6);
    expect((await observed.client.logs(seen.sandboxId, { lines: '20000' })).entries).toHaveLength(6);
  });

  it('leaves truncated false and capturedAt out (observed: logs-truncated-always-false, logs-captured-at-absent)', async () => {
    const box = await observed.client.create('counter');
    await observed.client.waitForEnd(box.sandboxId);
    const logs = await observed.client.logs(box.sandboxId, { lines: '2' });
    expect(logs.entries.map((e) => e.log)).toEqual(['line 5', 'oops']);
    expect(logs.truncated).toBe(false);
    expect(logs).not.toHaveProperty('capturedAt');
  });
});

describe('AgentBox StreamSandboxLogs', () => {
  it('delivers a line while the container runs, then the rest, then the meta line once it exits', async () => {
    const box = await t.client.create('gated');
    const reader = await t.client.stream(box.sandboxId);
    expect(reader.status).toBe(200);
    expect(reader.response.headers.get('content-type')).toMatch(/^application\/x-ndjson/);
    expect(reader.response.headers.get('x-agentbox-server-version')).toBe('sandbox-emulator');
    const first = await reader.next();
    expect(first).toEqual({
      _timestamp: expect.any(String),
      container_name: 'sandbox',
      log: 'first',
      pod_name: box.podName,
      namespace_name: 'default',
      node_name: expect.any(String),
    });
    // The line came while the container still runs: it waits on the gate.
    expect((await t.client.get(box.sandboxId)).status).toBe('Running');
    await t.client.exec(box.sandboxId, 'echo opened > gate');
    const rest = await reader.rest();
    expect(rest.map((l) => l.log ?? l)).toEqual(['opened', 'last', { _meta: true, source: 'live', truncated: false, pod_name: box.podName }]);
    expect((await t.client.get(box.sandboxId)).status).toBe('Completed');
  });

  it('starts with the last N lines of the backlog for lines=N, and honours container', async () => {
    const box = await t.client.create('counter');
    await t.client.waitForEnd(box.sandboxId);
    const lines = await (await t.client.stream(box.sandboxId, { lines: '2' })).rest();
    expect(lines.map((l) => l.log ?? '(meta)')).toEqual(['line 5', 'oops', '(meta)']);
    // Junk is read as "everything", never refused: the stream is always 200.
    expect(await (await t.client.stream(box.sandboxId, { lines: 'junk' })).rest()).toHaveLength(7);

    const pair = await t.client.create('pair');
    const helper = await t.client.stream(pair.sandboxId, { container: 'helper' });
    expect(await helper.next()).toMatchObject({ container_name: 'helper', log: 'helper says hi' });
    await helper.cancel();
    const unknown = await (await t.client.stream(pair.sandboxId, { container: 'nope' })).rest();
    expect(unknown).toEqual([
      { log: `[agentbox] sandbox default/${pair.sandboxId} has no container "nope"; it has sandbox, helper` },
      { _meta: true, source: 'live', truncated: false, pod_name: pair.podName },
    ]);
  });

  it('ends with the meta line when the sandbox is released', async () => {
    const box = await t.client.create('pair');
    const reader = await t.client.stream(box.sandboxId);
    expect((await reader.next()).log).toBe('main says hi');
    expect((await t.client.fetch(`/v1/sandboxes/${box.sandboxId}`, { method: 'DELETE' })).status).toBe(202);
    expect(await reader.rest()).toEqual([{ _meta: true, source: 'live', truncated: false, pod_name: box.podName }]);
  });

  it('reports an unknown sandbox in-band (spec) or with the meta line alone (observed: logs-stream-unknown-id-meta-only)', async () => {
    const spec = await t.client.stream('nope');
    expect(spec.status).toBe(200);
    expect(await spec.rest()).toEqual([
      { log: '[agentbox] sandbox default/nope not found or already terminated' },
      { _meta: true, source: 'live', truncated: false },
    ]);
    const seen = await observed.client.stream('nope');
    expect(seen.status).toBe(200);
    expect(await seen.rest()).toEqual([{ _meta: true, source: 'live', truncated: false }]);
  });

  it('reports a runtime source in-band, ending with a runtime meta line', async () => {
    const box = await t.client.create();
    expect(await (await t.client.stream(box.sandboxId, { source: 'envd' })).rest()).toEqual([
      { log: '[agentbox] runtime "envd" not found in pool default' },
      { _meta: true, source: 'runtime', truncated: false, pod_name: box.podName },
    ]);
  });
});
