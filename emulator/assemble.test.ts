import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FaultRule } from './faults/fault-rule.ts';
import { createEmulator, type Emulator } from './index.ts';
import type { Fixture } from './replay/fixture.ts';
import { setupEmulator } from './transports/msw/setup-emulator.ts';

// One root builds every emulator: the same options give the same behaviour over HTTP and
// through msw. Faults wrap fixture replay, which wraps the pipeline.

const recorded: Fixture = {
  title: 'a recorded sandbox list',
  provider: 'agentbox',
  seen: 'a test',
  exchanges: [
    {
      request: { method: 'GET', mount: 'agentbox', path: '/v1/sandboxes' },
      response: { status: 200, headers: { 'content-type': 'application/json' }, json: { sandboxes: [{ id: 'recorded' }] } },
    },
  ],
};

// Replaces the status of the recorded answer (GET /v1/sandboxes) and of nothing else.
const onRecorded: FaultRule = { match: { method: 'GET', path: '^/v1/sandboxes$' }, status: 503 };

interface Target {
  name: string;
  start(options: { faults?: FaultRule[]; fixtures?: Fixture[] }): Promise<{ endpoint: string; emulator: { faults: { add(rule: FaultRule): () => void }; reset(): Promise<void>; close(): Promise<void> } }>;
}

const targets: Target[] = [
  {
    name: 'HTTP (createEmulator)',
    async start(options) {
      const emulator: Emulator = await createEmulator({ port: 0, providers: ['agentbox'], ...options });
      const urls = await emulator.listen();
      return { endpoint: urls.agentbox.endpoint, emulator };
    },
  },
  {
    name: 'msw (setupEmulator)',
    async start(options) {
      const emulator = setupEmulator({ providers: ['agentbox'], agentboxEndpoint: 'https://agentbox.assemble.test', onUnhandledRequest: 'error', ...options });
      await emulator.start();
      return { endpoint: emulator.urls.agentbox.endpoint, emulator };
    },
  },
];

for (const target of targets) {
  describe(`the composition root, ${target.name}`, () => {
    let endpoint: string;
    let emulator: Awaited<ReturnType<Target['start']>>['emulator'];
    beforeAll(async () => {
      ({ endpoint, emulator } = await target.start({ faults: [onRecorded], fixtures: [recorded] }));
    });
    afterAll(() => emulator?.close());

    it("applies the options' faults to a recorded answer: faults are outside replay", async () => {
      const response = await fetch(`${endpoint}/v1/sandboxes`);
      expect(response.status).toBe(503);
      // The body is the recorded one: replay answered, the fault replaced only the status.
      expect(await response.json()).toEqual({ sandboxes: [{ id: 'recorded' }] });
    });

    it('passes what no fixture recorded to the pipeline, in the dialect', async () => {
      const response = await fetch(`${endpoint}/v1/sandboxes/none`);
      expect(response.status).toBe(404);
      expect(await response.json()).toEqual({ error: expect.stringContaining('none') });
    });

    it("keeps the options' faults across a reset and drops the ones added since", async () => {
      emulator.faults.add({ match: { path: '^/v1/sandboxes/none$' }, status: 500 });
      expect((await fetch(`${endpoint}/v1/sandboxes/none`)).status).toBe(500);
      await emulator.reset();
      expect((await fetch(`${endpoint}/v1/sandboxes/none`)).status).toBe(404);
      expect((await fetch(`${endpoint}/v1/sandboxes`)).status).toBe(503);
    });
  });
}

describe('the composition root refuses bad options before anything starts', () => {
  it('through msw as over HTTP: a fault rule with an impossible status', async () => {
    const bad: FaultRule = { status: 42 };
    await expect(createEmulator({ port: 0, providers: ['agentbox'], faults: [bad] })).rejects.toThrow(/status/);
    await expect(setupEmulator({ providers: ['agentbox'], faults: [bad] }).start()).rejects.toThrow(/status/);
  });

  it('a quirk no served provider reproduces: it would change nothing, silently', async () => {
    await expect(createEmulator({ port: 0, providers: ['agentbox'], quirks: ['logs-concatenated'] })).rejects.toThrow(/no provider served reproduces the quirk 'logs-concatenated'\. Known: agentbox: /);
    await expect(setupEmulator({ providers: ['blaxel'], quirks: ['nope'] }).start()).rejects.toThrow(/'nope'/);
  });
});
