// E2B's lifecycle API over HTTP, on what the SDK tests do not reach: timeouts at the edge of
// their int32 range (a fuzzing find: a larger one made every later list a 500), connect never
// shortening a sandbox's life (a contract-suite find), and the 404 body the SDK reads.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEmulator, type Emulator } from '../../index.ts';

let emulator: Emulator;
let api: string;
beforeAll(async () => {
  emulator = await createEmulator({ port: 0, providers: ['e2b'] });
  api = `${(await emulator.listen()).origin}/e2b`;
});
afterAll(() => emulator?.close());

const post = (path: string, body: unknown) => fetch(`${api}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

describe('the E2B lifecycle API', () => {
  it('refuses a timeout beyond int32 with its 400, and a sandbox at the longest one still lists', async () => {
    const created = (await (await post('/v2/sandboxes', { templateID: 'base' })).json()) as { sandboxID: string };
    const tooLong = await post(`/sandboxes/${created.sandboxID}/timeout`, { timeout: 1e20 });
    expect(tooLong.status).toBe(400);
    expect(await tooLong.json()).toMatchObject({ code: 400 });
    expect((await post(`/sandboxes/${created.sandboxID}/timeout`, { timeout: 2 ** 31 - 1 })).status).toBe(204);
    const listed = await fetch(`${api}/v2/sandboxes`);
    expect(listed.status).toBe(200);
    const [sandbox] = (await listed.json()) as Array<{ sandboxID: string; endAt: string }>;
    expect(sandbox.sandboxID).toBe(created.sandboxID);
    expect(Date.parse(sandbox.endAt) - Date.now()).toBeGreaterThan(60 * 365 * 24 * 3600 * 1000);
    expect(emulator.app.violations).toEqual([]);
  });

  it('extends a sandbox on connect and never shortens it (E2B keeps the later end), while a timeout call may', async () => {
    const created = (await (await post('/v2/sandboxes', { templateID: 'base', timeout: 600 })).json()) as { sandboxID: string };
    const endsIn = async () => {
      const { endAt } = (await (await fetch(`${api}/sandboxes/${created.sandboxID}`)).json()) as { endAt: string };
      return (Date.parse(endAt) - Date.now()) / 1000;
    };
    for (const path of [`/v2/sandboxes/${created.sandboxID}/connect`, `/sandboxes/${created.sandboxID}/connect`]) {
      expect((await post(path, { timeout: 30 })).status).toBe(200);
      expect(await endsIn()).toBeGreaterThan(590);
    }
    expect((await post(`/v2/sandboxes/${created.sandboxID}/connect`, { timeout: 1200 })).status).toBe(200);
    expect(await endsIn()).toBeGreaterThan(1190);
    expect((await post(`/sandboxes/${created.sandboxID}/timeout`, { timeout: 30 })).status).toBe(204);
    expect(await endsIn()).toBeLessThan(31);
    await fetch(`${api}/sandboxes/${created.sandboxID}`, { method: 'DELETE' });
  });

  it('answers an unknown sandbox with 404 and `code: 404` in the body, on each call that names one', async () => {
    for (const [method, path, body] of [
      ['GET', '/sandboxes/nope', undefined],
      ['DELETE', '/sandboxes/nope', undefined],
      ['POST', '/sandboxes/nope/timeout', { timeout: 5 }],
      ['POST', '/v2/sandboxes/nope/connect', {}],
    ] as const) {
      const answer = await fetch(`${api}${path}`, { method, headers: body ? { 'content-type': 'application/json' } : {}, body: body ? JSON.stringify(body) : undefined });
      expect([answer.status, await answer.json()]).toEqual([404, { code: 404, message: 'sandbox "nope" doesn\'t exist or you don\'t have access to it' }]);
    }
  });
});
