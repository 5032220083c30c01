// E2B's lifecycle API over HTTP, on what the SDK tests do not reach: timeouts at the edge of
// their int32 range (a fuzzing find: a larger one made every later list a 500), connect never
// shortening a sandbox's life (a contract-suite find), and the 404 body the SDK reads.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitUntil } from '../../../contracts/kit/wait-until.ts';
import { createEmulator, type Emulator } from '../../index.ts';
import { envelope } from './connect-envelope.ts';

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

  describe('pause and resume', () => {
    /** Starts a command through envd and gives its pid, leaving it running (a dropped stream does). */
    async function start(sandbox: string, command: string): Promise<number> {
      const answer = await fetch(`${api}/envd/process.Process/Start`, {
        method: 'POST',
        headers: { 'content-type': 'application/connect+json', 'e2b-sandbox-id': sandbox },
        body: Buffer.from(envelope({ process: { cmd: '/bin/sh', args: ['-c', command] } }).data),
      });
      const reader = answer.body!.getReader();
      let bytes = Buffer.alloc(0);
      while (bytes.length < 5 || bytes.length < 5 + bytes.readUInt32BE(1)) bytes = Buffer.concat([bytes, (await reader.read()).value!]);
      await reader.cancel();
      return JSON.parse(bytes.subarray(5, 5 + bytes.readUInt32BE(1)).toString()).event.start.pid;
    }
    /** The kernel's state letter of a process: S sleeping, T stopped; undefined once it is gone. */
    const stateOf = (pid: number) => {
      try {
        return /\) (\S)/.exec(readFileSync(`/proc/${pid}/stat`, 'utf8'))?.[1];
      } catch {
        return undefined;
      }
    };
    const health = async (sandbox: string) => (await fetch(`${api}/envd/health`, { headers: { 'e2b-sandbox-id': sandbox } })).status;
    const info = async (sandbox: string) => (await (await fetch(`${api}/sandboxes/${sandbox}`)).json()) as { state: string; endAt: string };
    const listed = async (query: string) => ((await (await fetch(`${api}/v2/sandboxes${query}`)).json()) as Array<{ sandboxID: string; state: string }>).map((s) => `${s.sandboxID}:${s.state}`);

    it("stops a paused sandbox's processes and hides it from envd; connect resumes both, then is a plain connect again", async () => {
      const { sandboxID: id } = (await (await post('/sandboxes', { templateID: 'base', timeout: 600 })).json()) as { sandboxID: string };
      const pid = await start(id, 'sleep 300');
      await waitUntil('the sleep to run', async () => stateOf(pid) === 'S');
      expect((await post(`/sandboxes/${id}/pause`, {})).status).toBe(204);
      await waitUntil('the process to stop', async () => stateOf(pid) === 'T');
      expect(await health(id)).toBe(502);
      expect((await info(id)).state).toBe('paused');
      expect(await listed('')).not.toContain(`${id}:paused`);
      expect(await listed('?state=running,paused')).toContain(`${id}:paused`);
      const again = await post(`/sandboxes/${id}/pause`, {});
      expect([again.status, await again.json()]).toEqual([409, { code: 409, message: `Error pausing sandbox - sandbox '${id}' is already paused` }]);
      expect((await post(`/sandboxes/${id}/timeout`, { timeout: 60 })).status).toBe(404);
      const resumed = await post(`/v2/sandboxes/${id}/connect`, { timeout: 120 });
      expect(resumed.status).toBe(201);
      await waitUntil('the process to go on', async () => stateOf(pid) === 'S');
      expect(await health(id)).toBe(204);
      const { state, endAt } = await info(id);
      expect(state).toBe('running');
      expect((Date.parse(endAt) - Date.now()) / 1000).toBeLessThan(121);
      expect((await post(`/v2/sandboxes/${id}/connect`, { timeout: 60 })).status).toBe(200);
      // Killed while paused, its stopped processes end all the same.
      expect((await post(`/sandboxes/${id}/pause`, {})).status).toBe(204);
      await waitUntil('the process to stop', async () => stateOf(pid) === 'T');
      expect((await fetch(`${api}/sandboxes/${id}`, { method: 'DELETE' })).status).toBe(204);
      await waitUntil('the process to end', async () => stateOf(pid) === undefined || stateOf(pid) === 'Z');
      expect(emulator.app.violations).toEqual([]);
    });

    it('with memory: false keeps the files only, so the processes end at the pause; a sandbox that is not there is 404', async () => {
      const { sandboxID: id } = (await (await post('/sandboxes', { templateID: 'base', timeout: 600 })).json()) as { sandboxID: string };
      const pid = await start(id, 'echo kept > kept.txt; sleep 300');
      await waitUntil('the sleep to run', async () => stateOf(pid) === 'S');
      expect((await post(`/sandboxes/${id}/pause`, { memory: false })).status).toBe(204);
      await waitUntil('the process to end', async () => stateOf(pid) === undefined || stateOf(pid) === 'Z');
      expect((await post(`/sandboxes/${id}/connect`, {})).status).toBe(201);
      const kept = await fetch(`${api}/envd/files?path=kept.txt`, { headers: { 'e2b-sandbox-id': id } });
      expect(await kept.text()).toBe('kept\n');
      expect((await post('/sandboxes/nope/pause', {})).status).toBe(404);
      await fetch(`${api}/sandboxes/${id}`, { method: 'DELETE' });
    });
  });
});
