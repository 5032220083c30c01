import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { EmulatorApp } from '../app.ts';
import type { EmuRequest, EmuResponse } from '../kernel/exchange.ts';
import { installFaults, type FaultController } from './fault-injector.ts';

// The injector on the app alone, no transport: which rules apply to which request, and how
// several combine. What a client sees of each fault is in test-support/fault-scenario.ts.

let app: EmulatorApp;
let faults: FaultController;

beforeAll(async () => {
  app = await EmulatorApp.create({ providers: ['blaxel', 'tensorlake'] });
  faults = installFaults(app);
});
afterAll(async () => {
  await app?.close();
});
afterEach(() => {
  faults.clear();
  expect(app.violations).toEqual([]);
});

function request(method: string, path: string, signal = new AbortController().signal): EmuRequest {
  return { method, path, query: new URLSearchParams(), headers: {}, body: Buffer.alloc(0), signal };
}

/** GET /process on a Blaxel sandbox (listProcesses): a 200 with a JSON list. */
function listBlaxel(method = 'GET', path = '/process', signal?: AbortSignal): Promise<EmuResponse> {
  return app.handle('blaxel-sandbox', { sandbox: 'unit' }, request(method, path, signal), () => 'http://unused');
}

describe('installFaults', () => {
  it('passes every request through while no rule matches', async () => {
    faults.add({ match: { provider: 'tensorlake' }, status: 500 });
    expect(await listBlaxel()).toMatchObject({ status: 200, body: { kind: 'json', value: [] } });
    expect((await listBlaxel()).fault).toBeUndefined();
  });

  it('matches on every field given: provider, mountId, operationId, method (any case) and path', async () => {
    const hit = { provider: 'blaxel', mountId: 'blaxel-sandbox', operationId: 'listProcesses', method: 'get', path: '^/process$' };
    faults.add({ match: hit, status: 503 });
    expect((await listBlaxel()).status).toBe(503);
    for (const miss of [{ provider: 'agentbox' }, { mountId: 'blaxel-control' }, { operationId: 'getProcess' }, { method: 'POST' }, { path: '^/proc$' }]) {
      faults.clear();
      faults.add({ match: { ...hit, ...miss }, status: 503 });
      expect((await listBlaxel()).status, JSON.stringify(miss)).toBe(200);
    }
  });

  it('matches an operationId by routing, so a route the spec does not know never matches', async () => {
    faults.add({ match: { operationId: 'listProcesses' }, status: 503 });
    expect((await listBlaxel('GET', '/nowhere')).status).toBe(404);
  });

  it('counts `times` per rule, and a spent rule stays listed', async () => {
    const rule = { status: 500, times: 2 };
    faults.add(rule);
    const statuses = [];
    for (let i = 0; i < 3; i++) statuses.push((await listBlaxel()).status);
    expect(statuses).toEqual([500, 500, 200]);
    expect(faults.rules).toEqual([rule]);
  });

  it('applies every matching rule: latencies add up, the last status wins, and a reset wins over a status', async () => {
    faults.add({ latencyMs: 40, status: 502 });
    faults.add({ latencyMs: 40, status: 504 });
    const asked = performance.now();
    expect((await listBlaxel()).status).toBe(504);
    expect(performance.now() - asked).toBeGreaterThanOrEqual(79);
    faults.add({ reset: true });
    expect(await listBlaxel()).toEqual({ status: 0, headers: {}, fault: { kind: 'reset' } });
  });

  it('marks only a streamed answer as cut, at the shortest cut of the matching rules', async () => {
    const box = (path: string) => app.handle('tensorlake-runtime', { sandbox: 'unit' }, request('GET', path), () => 'http://unused');
    faults.add({ cutAfterFrames: 4 });
    faults.add({ cutAfterFrames: 2 });
    // An unknown pid's follow is a JSON 404, not a stream.
    const notStream = await box('/api/v1/processes/999999/output/follow');
    expect(notStream.status).toBe(404);
    expect(notStream.fault).toBeUndefined();
    // The Blaxel logs stream of an unknown id is a JSON 404 too; a stream needs a process.
    const started = await app.handle(
      'blaxel-sandbox',
      { sandbox: 'unit' },
      { ...request('POST', '/process'), headers: { 'content-type': 'application/json' }, body: Buffer.from('{"command":"echo a","name":"s","waitForCompletion":true}') },
      () => 'http://unused',
    );
    expect(started.status).toBe(200);
    const stream = await listBlaxel('GET', '/process/s/logs/stream');
    expect(stream.body?.kind).toBe('stream');
    expect(stream.fault).toEqual({ kind: 'cut', afterFrames: 2 });
    if (stream.body?.kind === 'stream') for await (const _ of stream.body.frames) break;
  });

  it('gives up the delay at once when the client goes away, and answers nothing (a reset)', async () => {
    faults.add({ latencyMs: 60_000 });
    const gone = new AbortController();
    const answer = listBlaxel('GET', '/process', gone.signal);
    gone.abort();
    expect(await answer).toMatchObject({ fault: { kind: 'reset' } });
  });

  it('lets a request pass on after a latency-only rule, so a later interceptor still answers it', async () => {
    const remove = app.intercept(() => ({ status: 299, headers: {} }));
    try {
      faults.add({ latencyMs: 1 });
      expect((await listBlaxel()).status).toBe(299);
    } finally {
      remove();
    }
  });

  it('removes one rule with the function add returns, and all with clear()', async () => {
    const a = { status: 501 };
    const b = { status: 502 };
    const removeA = faults.add(a);
    faults.add(b);
    removeA();
    expect(faults.rules).toEqual([b]);
    expect((await listBlaxel()).status).toBe(502);
    faults.clear();
    expect(faults.rules).toEqual([]);
    expect((await listBlaxel()).status).toBe(200);
  });

  it('refuses a rule it could not apply, naming the field', () => {
    expect(() => faults.add({ match: { path: '(' }, status: 500 })).toThrow(/^Failed to read the fault rule: 'match.path' is not a regular expression/);
    expect(() => faults.add({ status: 42 })).toThrow(/'status' must be an integer from 200 to 599, not 42/);
    expect(faults.rules).toEqual([]);
  });
});
