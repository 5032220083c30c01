// envd's directory watching on what the JS SDK's files.watchDir does not reach: the polled
// watchers the Python SDK uses (CreateWatcher, GetWatcherEvents, RemoveWatcher), and WatchDir's
// refusals, which end the stream instead of answering an error status.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitUntil } from '../../../contracts/kit/wait-until.ts';
import { splitFrames } from '../../openapi/frame-splitter.ts';
import { createEmulator, type Emulator } from '../../index.ts';
import { envelope } from './connect-envelope.ts';

let emulator: Emulator;
let origin: string;
let sandbox: string;
let token: string;
beforeAll(async () => {
  emulator = await createEmulator({ port: 0, providers: ['e2b'] });
  origin = (await emulator.listen()).origin;
  const created = await fetch(`${origin}/e2b/v2/sandboxes`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ templateID: 'base', timeout: 300 }) });
  ({ sandboxID: sandbox, envdAccessToken: token } = (await created.json()) as { sandboxID: string; envdAccessToken: string });
});
afterAll(() => emulator?.close());

const envd = (procedure: string, body: unknown) =>
  fetch(`${origin}/e2b/envd/filesystem.Filesystem/${procedure}`, { method: 'POST', headers: { 'content-type': 'application/json', 'e2b-sandbox-id': sandbox, 'x-access-token': token }, body: JSON.stringify(body) });
const envdJson = async (procedure: string, body: unknown) => {
  const answer = await envd(procedure, body);
  return [answer.status, await answer.json()] as const;
};

describe("envd's polled watchers", () => {
  it('collect the changes below a directory until fetched, each fetch giving what came since; a removed watcher is not_found', async () => {
    expect((await envdJson('MakeDir', { path: '/home/user/polled' }))[0]).toBe(200);
    const [status, { watcherId }] = await envdJson('CreateWatcher', { path: '/home/user/polled', recursive: true, includeEntry: true });
    expect(status).toBe(200);
    await envdJson('MakeDir', { path: '/home/user/polled/a/b' });
    const events = await waitUntil('the watcher to see polled/a/b', async () => {
      const [, got] = await envdJson('GetWatcherEvents', { watcherId });
      return got.events?.length ? got.events : undefined;
    });
    expect(events[0]).toMatchObject({ name: 'a', type: 'EVENT_TYPE_CREATE', entry: { name: 'a', path: '/home/user/polled/a', type: 'FILE_TYPE_DIRECTORY' } });
    await envdJson('Remove', { path: '/home/user/polled/a' });
    const removed = await waitUntil('the watcher to see polled/a removed', async () => {
      const [, got] = await envdJson('GetWatcherEvents', { watcherId });
      return got.events?.find((e: { name: string; type: string }) => e.name === 'a' && e.type === 'EVENT_TYPE_REMOVE');
    });
    expect(removed).not.toHaveProperty('entry');
    expect(await envdJson('RemoveWatcher', { watcherId })).toEqual([200, {}]);
    expect(await envdJson('GetWatcherEvents', { watcherId })).toEqual([404, { code: 'not_found', message: `watcher with id ${watcherId} not found` }]);
    expect(await envdJson('CreateWatcher', { path: '/home/user/nowhere' })).toEqual([404, { code: 'not_found', message: 'path not found: /home/user/nowhere' }]);
    expect(emulator.app.violations).toEqual([]);
  });
});

describe('WatchDir', () => {
  it('answers a path that is no directory with 200 and an end of stream holding the error, as a streaming call must', async () => {
    await fetch(`${origin}/e2b/envd/files?path=/home/user/plain.txt`, { method: 'POST', headers: { 'content-type': 'application/octet-stream', 'e2b-sandbox-id': sandbox, 'x-access-token': token }, body: 'x' });
    for (const [path, error] of [
      ['/home/user/plain.txt', { code: 'invalid_argument', message: 'path /home/user/plain.txt not a directory' }],
      ['/home/user/nowhere', { code: 'not_found', message: 'path not found: /home/user/nowhere' }],
    ] as const) {
      const answer = await fetch(`${origin}/e2b/envd/filesystem.Filesystem/WatchDir`, {
        method: 'POST',
        headers: { 'content-type': 'application/connect+json', 'e2b-sandbox-id': sandbox, 'x-access-token': token },
        body: Buffer.from(envelope({ path }).data as Uint8Array),
      });
      expect(answer.status).toBe(200);
      const frames = splitFrames(new Uint8Array(await answer.arrayBuffer()), 'connect');
      expect(frames.map((f) => [f.flags, f.payload])).toEqual([[2, { error }]]);
    }
    expect(emulator.app.violations).toEqual([]);
  });
});
