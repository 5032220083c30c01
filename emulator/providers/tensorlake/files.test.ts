import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { dirname, join } from 'node:path';
import { eventually, SandboxClient, startTensorlake, type TensorlakeTarget } from '../../test-support/tensorlake-kit.ts';

// The runtime API's files, over HTTP, on real files in the sandbox's folder; every answer
// validated against specs/tensorlake.yaml in strict mode (a violation would be a 500 and a
// recorded violation, checked after each test).

let tl: TensorlakeTarget;
let small: TensorlakeTarget;
beforeAll(async () => {
  [tl, small] = await Promise.all([startTensorlake(), startTensorlake({ maxFileBytes: 10 })]);
});
afterAll(async () => {
  await Promise.all([tl?.emulator.close(), small?.emulator.close()]);
});
afterEach(() => {
  expect(tl.emulator.app.violations).toEqual([]);
  expect(small.emulator.app.violations).toEqual([]);
});

const q = (path: string) => `/api/v1/files?path=${encodeURIComponent(path)}`;
const list = (path: string) => `/api/v1/files/list?path=${encodeURIComponent(path)}`;

/** The sandbox's folder, as its own processes see it (their working directory). */
async function folderOf(box: SandboxClient): Promise<string> {
  const proc = await box.start({ command: 'pwd' });
  await box.waitForEnd(proc.pid);
  return (await box.lines(proc.pid, 'stdout'))[0];
}

async function run(box: SandboxClient, script: string): Promise<void> {
  const proc = await box.sh(script);
  const info = await box.waitForEnd(proc.pid);
  expect(info.exit_code).toBe(0);
}

async function expectError(response: Response, status: number, code: string): Promise<void> {
  expect(response.status).toBe(status);
  expect(response.headers.get('content-type')).toMatch(/^application\/json/);
  expect((await response.json()).code).toBe(code);
}

describe('tensorlake files', () => {
  it('writes raw bytes (parents made), reads the same bytes back, and a process sees the file', async () => {
    const box = tl.sandbox();
    const bytes = Buffer.from(Array.from({ length: 512 }, (_, i) => i % 256));
    const put = await box.fetch(q('/app/data/all.bin'), { method: 'PUT', body: bytes });
    expect(put.status).toBe(204);
    const got = await box.fetch(q('/app/data/all.bin'));
    expect(got.status).toBe(200);
    expect(got.headers.get('content-type')).toBe('application/octet-stream');
    expect(got.headers.get('content-length')).toBe('512');
    expect(Buffer.from(await got.arrayBuffer()).equals(bytes)).toBe(true);
    // The same file for a process: the folder is the sandbox's "/" and its working directory.
    expect(readFileSync(join(await folderOf(box), 'app', 'data', 'all.bin')).equals(bytes)).toBe(true);
    const proc = await box.start({ command: 'wc', args: ['-c', 'app/data/all.bin'] });
    await box.waitForEnd(proc.pid);
    expect((await box.lines(proc.pid, 'stdout'))[0]).toMatch(/^512 /);
    // An empty body makes an empty file; a second write replaces the first whole.
    expect((await box.fetch(q('/empty'), { method: 'PUT', body: '' })).status).toBe(204);
    expect(await (await box.fetch(q('/empty'))).text()).toBe('');
    await box.fetch(q('/app/data/all.bin'), { method: 'PUT', body: 'short' });
    expect(await (await box.fetch(q('app/data/all.bin'))).text()).toBe('short');
  });

  it('lists a directory: directories first, then by name, size only for files, modified_at in ms', async () => {
    const box = tl.sandbox();
    await box.fetch(q('/d/b.txt'), { method: 'PUT', body: 'four' });
    await box.fetch(q('/d/a.txt'), { method: 'PUT', body: 'x' });
    await box.fetch(q('/d/z/inner'), { method: 'PUT', body: 'x' });
    const response = await box.fetch(list('/d'));
    expect(response.status).toBe(200);
    const body = await response.json();
    expect(body.path).toBe('/d');
    expect(body.entries.map((e: { name: string }) => e.name)).toEqual(['z', 'a.txt', 'b.txt']);
    expect(body.entries[0]).not.toHaveProperty('size');
    expect(body.entries[0].is_dir).toBe(true);
    expect(body.entries[2]).toMatchObject({ name: 'b.txt', is_dir: false, size: 4 });
    expect(Math.abs(body.entries[2].modified_at - Date.now())).toBeLessThan(60_000);
    await expectError(await box.fetch(list('/d/a.txt')), 400, 'NOT_A_DIRECTORY');
    await expectError(await box.fetch(list('/nowhere')), 404, 'NOT_FOUND');
  });

  it('deletes a file; refuses a directory; says what is missing', async () => {
    const box = tl.sandbox();
    await box.fetch(q('/d/f'), { method: 'PUT', body: 'x' });
    expect((await box.fetch(q('/d/f'), { method: 'DELETE' })).status).toBe(204);
    await expectError(await box.fetch(q('/d/f')), 404, 'NOT_FOUND');
    await expectError(await box.fetch(q('/d/f'), { method: 'DELETE' }), 404, 'NOT_FOUND');
    await expectError(await box.fetch(q('/d'), { method: 'DELETE' }), 400, 'IS_DIRECTORY');
    await expectError(await box.fetch(q('/d')), 400, 'IS_DIRECTORY');
    await expectError(await box.fetch(q('/d'), { method: 'PUT', body: 'x' }), 400, 'IS_DIRECTORY');
    await box.fetch(q('/file'), { method: 'PUT', body: 'x' });
    await expectError(await box.fetch(q('/file/under'), { method: 'PUT', body: 'x' }), 400, 'NOT_A_DIRECTORY');
    const missing = await box.fetch('/api/v1/files');
    expect(missing.status).toBe(400);
  });

  it('refuses a name over 255 bytes with 400 INVALID_PATH on read, write, list and delete', async () => {
    const box = tl.sandbox();
    const long = `/${'n'.repeat(300)}`;
    for (const [url, init] of [[q(long), {}], [q(long), { method: 'PUT', body: 'x' }], [list(long), {}], [q(long), { method: 'DELETE' }]] as const) {
      const response = await box.fetch(url, init);
      await expectError(response.clone(), 400, 'INVALID_PATH');
      expect((await response.json()).error).toMatch(/too long/);
    }
  });

  it('refuses `..` and symlinks out of the sandbox, leaving what is outside untouched', async () => {
    const box = tl.sandbox();
    const folder = await folderOf(box);
    // Beside the sandbox's folder: another sandbox's place, or the emulator's root.
    const sentinel = join(dirname(folder), 'sentinel.txt');
    writeFileSync(sentinel, 'outside');
    await run(box, `ln -s ${JSON.stringify(sentinel)} out-file && ln -s .. out-dir`);
    for (const path of ['/../sentinel.txt', '/a/../b', '../sentinel.txt', '/out-file', '/out-dir/sentinel.txt', '/out-dir/new.txt']) {
      await expectError(await box.fetch(q(path)), 403, 'PATH_TRAVERSAL');
      await expectError(await box.fetch(q(path), { method: 'PUT', body: 'overwritten' }), 403, 'PATH_TRAVERSAL');
    }
    await expectError(await box.fetch(list('/out-dir')), 403, 'PATH_TRAVERSAL');
    await expectError(await box.fetch(q('/../sentinel.txt'), { method: 'DELETE' }), 403, 'PATH_TRAVERSAL');
    await expectError(await box.fetch(q('/out-dir/sentinel.txt'), { method: 'DELETE' }), 403, 'PATH_TRAVERSAL');
    // Deleting the link removes the link, not what it points at.
    expect((await box.fetch(q('/out-file'), { method: 'DELETE' })).status).toBe(204);
    expect(readFileSync(sentinel, 'utf8')).toBe('outside');
    expect(existsSync(join(dirname(folder), 'new.txt'))).toBe(false);
    // Escapes are decoded once, by the URL: `%2e%2e` arrives as a literal name.
    expect((await box.fetch(`/api/v1/files?path=${encodeURIComponent('/a/%2e%2e/x')}`, { method: 'PUT', body: 'literal' })).status).toBe(204);
    expect(readFileSync(join(folder, 'a', '%2e%2e', 'x'), 'utf8')).toBe('literal');
  });

  it('refuses a file over maxFileBytes with 413, by its length or as it streams, writing nothing', async () => {
    const box = small.sandbox();
    expect((await box.fetch(q('/ok'), { method: 'PUT', body: '0123456789' })).status).toBe(204);
    await expectError(await box.fetch(q('/big'), { method: 'PUT', body: '0123456789X' }), 413, 'FILE_TOO_LARGE');
    // No length announced: refused once the eleventh byte arrives.
    const parts = ['012345', '6789X'].map((t) => new TextEncoder().encode(t));
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        const next = parts.shift();
        if (next) controller.enqueue(next);
        else controller.close();
      },
    });
    const streamed = await box.fetch(q('/big'), { method: 'PUT', body, duplex: 'half' } as RequestInit);
    await expectError(streamed, 413, 'FILE_TOO_LARGE');
    const names = readdirSync(await folderOf(box));
    expect(names).toEqual(['ok']);
  });

  it('streams an upload to disk as it arrives, before the request has ended', async () => {
    const box = tl.sandbox();
    const folder = await folderOf(box);
    const url = new URL(box.base + q('/up.bin'));
    const chunk = Buffer.alloc(256 * 1024, 1);
    const answered = new Promise<number>((resolve, reject) => {
      const req = request(url, { method: 'PUT' }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      req.write(chunk);
      // The first chunk is on disk (in the temporary file beside the target) while the
      // request is still open: the body was not gathered in memory first.
      eventually(() => readdirSync(folder).some((n) => n.endsWith('.part') && readFileSync(join(folder, n)).length >= chunk.length), 'the first chunk on disk')
        .then(() => {
          expect(existsSync(join(folder, 'up.bin'))).toBe(false);
          req.end(chunk);
        })
        .catch(reject);
    });
    expect(await answered).toBe(204);
    expect(readFileSync(join(folder, 'up.bin')).length).toBe(2 * chunk.length);
    expect(readdirSync(folder).filter((n) => n.endsWith('.part'))).toEqual([]);
  });
});

describe('tensorlake daemon', () => {
  it('answers health and info with the sandbox process counts', async () => {
    const box = tl.sandbox();
    expect(await (await box.fetch('/api/v1/health')).json()).toEqual({ healthy: true });
    const done = await box.start({ command: 'true' });
    await box.waitForEnd(done.pid);
    const sleeper = await box.start({ command: 'sleep', args: ['30'] });
    const info = await (await box.fetch('/api/v1/info')).json();
    expect(info).toMatchObject({ version: expect.stringContaining('sandbox-emulator'), running_processes: 1, total_processes: 2 });
    expect(info.uptime_secs).toBeGreaterThanOrEqual(0);
    expect((await box.fetch(`/api/v1/processes/${sleeper.pid}`, { method: 'DELETE' })).status).toBe(204);
  });
});
