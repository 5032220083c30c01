import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { pidGone, SandboxClient, startBlaxel, type BlaxelTarget } from '../../test-support/blaxel-kit.ts';

let target: BlaxelTarget;

beforeAll(async () => {
  target = await startBlaxel();
});

afterAll(async () => {
  await target?.emulator.close();
});

afterEach(() => {
  expect(target.emulator.app.violations).toEqual([]);
});

const SDK_HEADERS = { 'content-type': 'application/json', 'x-blaxel-workspace': 'local', 'x-blaxel-authorization': 'Bearer anything' };

function create(body: unknown, query = ''): Promise<Response> {
  return fetch(`${target.control}/sandboxes${query}`, { method: 'POST', headers: SDK_HEADERS, body: JSON.stringify(body) });
}

describe('control plane', () => {
  it('create, get, list and delete a sandbox whose metadata.url is its sandbox API base', async () => {
    const body = { metadata: { name: 'mybox' }, spec: { region: 'us-pdx-1', runtime: { image: 'blaxel/base-image:latest', memory: 4096, generation: 'mk3', envs: [{ name: 'FROM_SPEC', value: 'yes' }] } } };
    const created = await create(body);
    expect(created.status).toBe(200);
    const sandbox = await created.json();
    expect(sandbox).toMatchObject({ metadata: { name: 'mybox', workspace: 'local', url: target.sandbox('mybox').base }, status: 'DEPLOYED' });
    // A region would send the SDK to the real edge over HTTP/2.
    expect(sandbox.spec.region).toBeUndefined();
    expect(sandbox.spec.runtime.image).toBe('blaxel/base-image:latest');

    const got = await fetch(`${target.control}/sandboxes/mybox`, { headers: SDK_HEADERS });
    expect(got.status).toBe(200);
    const record = await got.json();
    expect(record.metadata.url).toBe(sandbox.metadata.url);

    // The process API at metadata.url is that sandbox, with the spec's env.
    const box = new SandboxClient(record.metadata.url);
    const run = await box.exec({ command: 'echo $FROM_SPEC', waitForCompletion: true });
    expect(run.stdout).toBe('yes\n');
    const sleeper = await box.exec({ command: 'sleep 30' });

    const list = await (await fetch(`${target.control}/sandboxes`, { headers: SDK_HEADERS })).json();
    expect(list.map((s: { metadata: { name: string } }) => s.metadata.name)).toContain('mybox');

    const deleted = await fetch(`${target.control}/sandboxes/mybox`, { method: 'DELETE', headers: SDK_HEADERS });
    expect(deleted.status).toBe(200);
    expect((await deleted.json()).metadata.name).toBe('mybox');
    expect(pidGone(sleeper.pid)).toBe(true);
    const gone = await fetch(`${target.control}/sandboxes/mybox`, { headers: SDK_HEADERS });
    expect(gone.status).toBe(404);
    expect(await gone.json()).toEqual({ error: 'sandbox mybox not found' });
  });

  it('answers 409 for a taken name, and the existing sandbox with createIfNotExist', async () => {
    expect((await create({ metadata: { name: 'twice' } })).status).toBe(200);
    const clash = await create({ metadata: { name: 'twice' } });
    expect(clash.status).toBe(409);
    expect(await clash.json()).toMatchObject({ code: 'SANDBOX_ALREADY_EXISTS' });
    const again = await create({ metadata: { name: 'twice' } }, '?createIfNotExist=true');
    expect(again.status).toBe(200);
    expect((await again.json()).metadata.name).toBe('twice');
  });

  it('lists a sandbox made by a first process call', async () => {
    await target.sandbox('first-use').exec({ command: 'true', waitForCompletion: true });
    const got = await fetch(`${target.control}/sandboxes/first-use`);
    expect(got.status).toBe(200);
    expect((await got.json()).metadata.url).toBe(target.sandbox('first-use').base);
  });

  it('refuses a body without metadata.name with a 400', async () => {
    const response = await create({ spec: {} });
    expect(response.status).toBe(400);
    expect(typeof (await response.json()).error).toBe('string');
    const malformed = await fetch(`${target.control}/sandboxes`, { method: 'POST', headers: SDK_HEADERS, body: '{' });
    expect(malformed.status).toBe(400);
  });

  it('reset ends every process and forgets every sandbox', async () => {
    const own = await startBlaxel();
    try {
      const p = await own.sandbox('kept').exec({ command: 'sleep 30' });
      await own.emulator.app.reset();
      expect(pidGone(p.pid)).toBe(true);
      expect(await (await fetch(`${own.control}/sandboxes`)).json()).toEqual([]);
      // Still usable afterwards.
      expect((await own.sandbox('kept').exec({ command: 'echo again', waitForCompletion: true })).stdout).toBe('again\n');
    } finally {
      await own.emulator.close();
    }
  });

  it('answers an unknown sandbox with 404 on get and delete', async () => {
    expect((await fetch(`${target.control}/sandboxes/none`)).status).toBe(404);
    expect((await fetch(`${target.control}/sandboxes/none`, { method: 'DELETE' })).status).toBe(404);
  });
});
