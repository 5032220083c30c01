// A loop of requests must not grow the emulator without end: Blaxel and Tensorlake make a
// sandbox (and a folder) for any name a request carries, and every finished process keeps its
// output. Both are bounded, and past the bound each provider answers with its own error.

import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEmulator, type BaseUrls, type Emulator } from '../index.ts';

let emulator: Emulator;
let urls: BaseUrls;

beforeAll(async () => {
  emulator = await createEmulator({ port: 0, maxSandboxes: 3, maxFinishedProcesses: 2 });
  urls = await emulator.listen();
});
afterAll(() => emulator?.close());

const folders = (provider: string) => readdirSync(join(emulator.app.root, provider));

async function runBlaxel(box: string, command: string, wait = true): Promise<{ status: number; body: any }> {
  const response = await fetch(`${urls.blaxel.sandbox(box)}/process`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ command, waitForCompletion: wait }),
  });
  return { status: response.status, body: await response.json() };
}

describe('sandboxes made by plain GETs', () => {
  it('Blaxel: the first maxSandboxes names get a sandbox, the next gets the 500 {error} saying why, and no folder', async () => {
    for (const name of ['g1', 'g2', 'g3']) expect((await fetch(`${urls.blaxel.sandbox(name)}/process`)).status).toBe(200);
    const refused = await fetch(`${urls.blaxel.sandbox('g4')}/process`);
    expect(refused.status).toBe(500);
    expect(await refused.json()).toEqual({ error: "Failed to create sandbox 'g4': 3 sandboxes exist already. Delete some, or raise the limit (maxSandboxes)." });
    expect(folders('blaxel')).toHaveLength(3);
    // Deleting one makes room again.
    expect((await fetch(`${urls.blaxel.control}/sandboxes/g1`, { method: 'DELETE' })).status).toBe(200);
    expect((await fetch(`${urls.blaxel.sandbox('g4')}/process`)).status).toBe(200);
    expect(folders('blaxel')).toHaveLength(3);
  });

  it('Tensorlake: the same bound, with its own {error, code} envelope', async () => {
    for (const id of ['t1', 't2', 't3']) expect((await fetch(`${urls.tensorlake.sandbox(id)}/api/v1/processes`)).status).toBe(200);
    const refused = await fetch(`${urls.tensorlake.sandbox('t4')}/api/v1/processes`);
    expect(refused.status).toBe(500);
    const body = await refused.json();
    expect(body.code).toBe('INTERNAL_ERROR');
    expect(body.error).toContain("Failed to create sandbox 't4': 3 sandboxes exist already.");
    expect(folders('tensorlake')).toHaveLength(3);
  });
});

describe('finished processes', () => {
  it('past maxFinishedProcesses the oldest finished are forgotten; a running one is always kept', async () => {
    // Room for this test's sandbox: the tests above filled the limit.
    expect((await fetch(`${urls.blaxel.control}/sandboxes/g2`, { method: 'DELETE' })).status).toBe(200);
    const running = await runBlaxel('keep', 'sleep 300', false);
    expect(running.body.status).toBe('running');
    const done = [];
    for (const n of [1, 2, 3, 4]) {
      const run = await runBlaxel('keep', `echo run-${n}`);
      expect(run.body.stdout).toBe(`run-${n}\n`);
      done.push(run.body.pid);
    }
    const list = await (await fetch(`${urls.blaxel.sandbox('keep')}/process`)).json();
    expect(list.map((p: { command: string }) => p.command)).toEqual(['sleep 300', 'echo run-3', 'echo run-4']);
    expect((await fetch(`${urls.blaxel.sandbox('keep')}/process/${done[0]}`)).status).toBe(404);
    expect((await fetch(`${urls.blaxel.sandbox('keep')}/process/${done[3]}`)).status).toBe(200);
  });
});
