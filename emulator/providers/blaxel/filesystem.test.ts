import { randomBytes } from 'node:crypto';
import { existsSync, lstatSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { tmpdir } from 'node:os';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startBlaxel, TextStream, type BlaxelTarget, type SandboxClient } from '../../test-support/blaxel-kit.ts';

// The filesystem routes on real files in the sandbox's folder (its "/"), over HTTP, every
// answer checked against specs/blaxel.yaml in strict mode.

let target: BlaxelTarget;
let box: SandboxClient;
let folder: string;
let n = 0;

beforeAll(async () => {
  target = await startBlaxel();
});

afterAll(async () => {
  await target?.emulator.close();
});

beforeEach(async () => {
  box = target.sandbox(`files-${++n}`);
  // The sandbox's folder on the host, as a process in it sees it.
  folder = (await box.exec({ command: 'pwd', waitForCompletion: true })).stdout.trim();
});

afterEach(() => {
  expect(target.emulator.app.violations).toEqual([]);
});

const enc = (path: string) => `/filesystem/${encodeURIComponent(path)}`;

function put(path: string, body: unknown): Promise<Response> {
  return box.fetch(enc(path), { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
}

function upload(url: string, bytes: Uint8Array, extra: Record<string, string> = {}, method = 'PUT'): Promise<Response> {
  const form = new FormData();
  form.append('file', new Blob([new Uint8Array(bytes)]), 'data.bin');
  for (const [key, value] of Object.entries(extra)) form.append(key, value);
  return box.fetch(url, { method, body: form });
}

describe('files', () => {
  it('writes a text file that lands on disk, reads it back as JSON and as bytes', async () => {
    const written = await put('/app/notes.txt', { content: 'héllo\n' });
    expect(written.status).toBe(200);
    expect(await written.json()).toEqual({ message: 'File created/updated successfully', path: '/app/notes.txt' });
    expect(readFileSync(join(folder, 'app/notes.txt'), 'utf8')).toBe('héllo\n');
    expect(lstatSync(join(folder, 'app/notes.txt')).mode & 0o777).toBe(0o644);

    const asJson = await box.fetch(enc('/app/notes.txt'));
    expect(asJson.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(await asJson.json()).toMatchObject({ path: '/app/notes.txt', name: 'notes.txt', content: 'héllo\n', size: 7, permissions: '644' });

    const asBytes = await box.fetch(enc('/app/notes.txt'), { headers: { accept: 'application/octet-stream' } });
    expect(asBytes.status).toBe(200);
    expect(asBytes.headers.get('content-type')).toBe('text/plain');
    expect(asBytes.headers.get('content-length')).toBe('7');
    expect(asBytes.headers.get('content-disposition')).toBe('attachment; filename="notes.txt"');
    expect(Buffer.from(await asBytes.arrayBuffer()).toString('utf8')).toBe('héllo\n');
  });

  it('takes the path in every form a client sends: %2F-encoded, after a double slash, plain', async () => {
    await put('/deep/a/b.txt', { content: 'b' });
    for (const url of ['/filesystem/%2Fdeep%2Fa%2Fb.txt', '/filesystem//deep/a/b.txt', '/filesystem/deep/a/b.txt', '/filesystem/~/deep/a/b.txt']) {
      const read = await box.fetch(url);
      expect(read.status, url).toBe(200);
      expect((await read.json()).content, url).toBe('b');
    }
  });

  it('writes binary bytes through multipart/form-data, exactly', async () => {
    const bytes = randomBytes(300_000);
    const response = await upload('/filesystem//bin/blob.dat', bytes, { permissions: '0644', path: '/bin/blob.dat' });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ message: 'Binary file uploaded successfully', path: '/bin/blob.dat' });
    expect(readFileSync(join(folder, 'bin/blob.dat')).equals(bytes)).toBe(true);
    const back = await box.fetch(enc('/bin/blob.dat'), { headers: { accept: 'application/octet-stream' } });
    expect(back.headers.get('content-type')).toBe('application/octet-stream');
    expect(Buffer.from(await back.arrayBuffer()).equals(bytes)).toBe(true);
  });

  it('makes directories with their parents, lists one level, and the tree route lists the same', async () => {
    const made = await put('/proj/src/lib', { isDirectory: true });
    expect(await made.json()).toEqual({ message: 'Directory created successfully', path: '/proj/src/lib' });
    expect(lstatSync(join(folder, 'proj/src/lib')).isDirectory()).toBe(true);
    await put('/proj/README.md', { content: '# hi' });
    symlinkSync('README.md', join(folder, 'proj/link'));
    const listing = await (await box.fetch(enc('/proj'))).json();
    expect(listing).toMatchObject({ name: 'proj', path: '/proj', subdirectories: [{ name: 'src', path: '/proj/src' }] });
    expect(listing.files.map((f: { name: string }) => f.name)).toEqual(['README.md', 'link']);
    expect(listing.files[0]).toMatchObject({ path: '/proj/README.md', size: 4, permissions: '644' });
    expect(listing.files[0].lastModified).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/);
    const tree = await (await box.fetch(`/filesystem/tree/${encodeURIComponent('/proj')}`)).json();
    expect(tree).toEqual(listing);
    const notDir = await box.fetch(`/filesystem/tree/${encodeURIComponent('/proj/README.md')}`);
    expect(notDir.status).toBe(400);
    expect(await notDir.json()).toEqual({ error: 'path is not a directory' });
  });

  it('writes a tree of files under a directory', async () => {
    const response = await box.fetch(`/filesystem/tree/${encodeURIComponent('/site')}`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ files: { 'index.html': '<p>', 'css/main.css': 'p{}' } }),
    });
    expect(response.status).toBe(200);
    const listing = await response.json();
    expect(listing.subdirectories).toEqual([{ name: 'css', path: '/site/css' }]);
    expect(readFileSync(join(folder, 'site/css/main.css'), 'utf8')).toBe('p{}');
    expect(readFileSync(join(folder, 'site/index.html'), 'utf8')).toBe('<p>');
  });

  it('deletes a file, refuses a directory that is not empty unless recursive, and 404s what is not there', async () => {
    await put('/d/x.txt', { content: 'x' });
    const refused = await box.fetch(`${enc('/d')}`, { method: 'DELETE' });
    expect(refused.status).toBe(422);
    expect(await refused.json()).toEqual({ error: 'error deleting directory: remove /d: directory not empty' });
    expect(existsSync(join(folder, 'd/x.txt'))).toBe(true);
    const file = await box.fetch(enc('/d/x.txt'), { method: 'DELETE' });
    expect(await file.json()).toEqual({ message: 'File deleted successfully', path: '/d/x.txt' });
    await put('/d/y/z.txt', { content: 'z' });
    const all = await box.fetch(`${enc('/d')}?recursive=true`, { method: 'DELETE' });
    expect(await all.json()).toEqual({ message: 'Directory deleted successfully', path: '/d' });
    expect(existsSync(join(folder, 'd'))).toBe(false);
    const missing = await box.fetch(enc('/d'), { method: 'DELETE' });
    expect(missing.status).toBe(404);
    expect(await missing.json()).toEqual({ error: 'file or directory not found' });
    expect((await box.fetch(enc('/nope.txt'))).status).toBe(404);
  });

  it('answers the server errors for bad permissions and a file where a directory is', async () => {
    const bad = await put('/p.txt', { content: 'x', permissions: 'rw' });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toEqual({ error: 'invalid permissions format \'rw\': strconv.ParseUint: parsing "rw": invalid syntax' });
    await put('/dir', { isDirectory: true });
    const onDir = await put('/dir', { content: 'x' });
    expect(onDir.status).toBe(422);
    expect(await onDir.json()).toEqual({ error: 'error writing file: open /dir: is a directory' });
    const script = await put('/run.sh', { content: 'echo hi', permissions: '0755' });
    expect(script.status).toBe(200);
    expect(lstatSync(join(folder, 'run.sh')).mode & 0o777).toBe(0o755);
  });

  it('finds files by pattern, hidden ones left out', async () => {
    for (const path of ['/src/a.ts', '/src/b.js', '/src/sub/c.ts', '/src/.hidden/d.ts']) await put(path, { content: '' });
    const found = await (await box.fetch(`/filesystem-find/${encodeURIComponent('/src')}?patterns=*.ts`)).json();
    expect(found).toEqual({ matches: [{ path: 'a.ts', type: 'file' }, { path: 'sub/c.ts', type: 'file' }], total: 2 });
    const dirs = await (await box.fetch(`/filesystem-find/${encodeURIComponent('/src')}?type=directory&excludeHidden=false`)).json();
    expect(dirs.matches.map((m: { path: string }) => m.path)).toEqual(['.', '.hidden', 'sub']);
    const wrong = await box.fetch(`/filesystem-find/${encodeURIComponent('/src')}?type=link`);
    expect(wrong.status).toBe(400);
  });
});

describe('the sandbox folder is the only place reached', () => {
  /** A file beside the folder (outside the sandbox) whose bytes must never change. */
  let sentinel: string;
  let sentinelName: string;

  beforeEach(() => {
    sentinelName = `sentinel-${n}.txt`;
    sentinel = join(dirname(folder), sentinelName);
    writeFileSync(sentinel, 'untouched');
  });

  afterEach(() => {
    expect(readFileSync(sentinel, 'utf8')).toBe('untouched');
  });

  const outside = { error: 'path is outside of the root directory' };

  it('answers a name over 255 bytes with the errno text Go prints, never the host path', async () => {
    const long = `/${'n'.repeat(300)}`;
    for (const response of [await box.fetch(enc(long)), await put(long, { content: 'x' }), await box.fetch(`/filesystem/tree/${encodeURIComponent(long)}`)]) {
      const body = await response.text();
      expect(response.status, body).toBeGreaterThanOrEqual(400);
      expect(response.status, body).toBeLessThan(500);
      expect(body).toContain('file name too long');
      expect(body).not.toContain(tmpdir());
    }
  });

  it('refuses .. above / on read, write, delete, tree, find, watch and upload', async () => {
    const climb = `/../${sentinelName}`;
    const before = readdirSync(dirname(folder)).sort();
    expect((await box.fetch(enc(climb))).status).toBe(422);
    expect(await (await box.fetch(enc(climb))).json()).toEqual(outside);
    const write = await put(climb, { content: 'overwritten' });
    expect(write.status).toBe(422);
    expect(await write.json()).toEqual({ error: 'error writing file: path is outside of the root directory' });
    expect((await put(`/../escaped-${n}`, { isDirectory: true })).status).toBe(422);
    expect((await upload(`/filesystem/${encodeURIComponent(climb)}`, Buffer.from('overwritten'))).status).toBe(422);
    expect((await box.fetch(enc(climb), { method: 'DELETE' })).status).toBe(422);
    expect((await box.fetch(`/filesystem/tree/${encodeURIComponent('/..')}`)).status).toBe(422);
    expect((await box.fetch(`/filesystem/tree/${encodeURIComponent(climb)}`, { method: 'DELETE' })).status).toBe(422);
    expect((await box.fetch(`/filesystem-find/${encodeURIComponent('/..')}`)).status).toBe(400);
    expect((await box.fetch(`/watch/filesystem/${encodeURIComponent('/..')}`)).status).toBe(422);
    const initiate = await box.postJson(`/filesystem-multipart/initiate/${encodeURIComponent(climb)}`, {});
    expect(initiate.status).toBe(400);
    expect(await initiate.json()).toEqual(outside);
    const tree = await box.fetch(`/filesystem/tree/${encodeURIComponent('/t')}`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ files: { [`../../${sentinelName}`]: 'overwritten' } }),
    });
    expect(tree.status).toBe(422);
    // Nothing was made beside the folder either.
    expect(readdirSync(dirname(folder)).sort()).toEqual(before);
  });

  it('refuses a symlink that points out, for reads and writes, and deletes only the link itself', async () => {
    symlinkSync(sentinel, join(folder, 'out-file'));
    symlinkSync(dirname(folder), join(folder, 'out-dir'));
    expect(await (await box.fetch(enc('/out-file'))).json()).toEqual(outside);
    expect((await box.fetch(enc('/out-file'), { headers: { accept: 'application/octet-stream' } })).status).toBe(422);
    expect((await box.fetch(enc(`/out-dir/${sentinelName}`))).status).toBe(422);
    expect((await box.fetch(enc('/out-dir'))).status).toBe(422);
    expect((await put('/out-file', { content: 'overwritten' })).status).toBe(422);
    expect((await put(`/out-dir/${sentinelName}`, { content: 'overwritten' })).status).toBe(422);
    expect((await upload('/filesystem//out-file', Buffer.from('overwritten'))).status).toBe(422);
    expect((await box.fetch(`${enc(`/out-dir/${sentinelName}`)}`, { method: 'DELETE' })).status).toBe(422);
    // Deleting the link removes the link, never what it points to.
    const gone = await box.fetch(enc('/out-file'), { method: 'DELETE' });
    expect(gone.status).toBe(200);
    expect(existsSync(join(folder, 'out-file'))).toBe(false);
    const dirLink = await box.fetch(`${enc('/out-dir')}?recursive=true`, { method: 'DELETE' });
    expect(dirLink.status).toBe(200);
    expect(existsSync(dirname(folder))).toBe(true);
    expect(existsSync(folder)).toBe(true);
  });

  it('decodes the URL once: %2e%2e is .., %00 a NUL byte (both refused), %252e a name inside', async () => {
    const dotted = await box.fetch(`/filesystem/%2F%2e%2e%2F${sentinelName}`);
    expect(dotted.status).toBe(422);
    expect(await dotted.json()).toEqual(outside);
    const nul = await box.fetch('/filesystem/%2Fa%00b');
    expect(nul.status).toBe(422);
    expect(await nul.json()).toEqual({ error: 'stat /a\\u0000b: invalid argument' });
    expect((await put('/a\u0000b', { content: 'x' })).status).toBe(422);
    const literal = await put('/%2e%2e', { content: 'inside' });
    expect(literal.status).toBe(200);
    expect(readFileSync(join(folder, '%2e%2e'), 'utf8')).toBe('inside');
    // A broken escape names nothing: gin's plain 404.
    expect((await box.fetch('/filesystem/%zz')).status).toBe(404);
  });
});

describe('multipart uploads', () => {
  it('assembles parts in order into the file, lists them meanwhile, and forgets the upload', async () => {
    const initiated = await box.postJson(`/filesystem-multipart/initiate/${encodeURIComponent('/big/data.bin')}`, { permissions: '0600' });
    expect(initiated.status).toBe(200);
    const { uploadId, path } = await initiated.json();
    expect(path).toBe('/big/data.bin');
    const first = randomBytes(70_000);
    const second = randomBytes(50_001);
    const answers = [];
    // Sent out of order: the order of `parts` in complete decides.
    for (const [number, bytes] of [[2, second], [1, first]] as const) {
      const response = await upload(`/filesystem-multipart/${uploadId}/part?partNumber=${number}`, bytes);
      expect(response.status).toBe(200);
      answers.push(await response.json());
    }
    expect(answers[0]).toMatchObject({ partNumber: 2, size: 50_001 });
    const listed = await (await box.fetch(`/filesystem-multipart/${uploadId}/parts`)).json();
    expect(listed.parts.map((p: { partNumber: number }) => p.partNumber)).toEqual([1, 2]);
    const uploads = await (await box.fetch('/filesystem-multipart')).json();
    expect(uploads.uploads).toHaveLength(1);
    const parts = [answers[1], answers[0]].map(({ partNumber, etag }) => ({ partNumber, etag }));
    const wrongEtag = await box.postJson(`/filesystem-multipart/${uploadId}/complete`, { parts: [{ partNumber: 1, etag: 'nope' }] });
    expect(wrongEtag.status).toBe(500);
    expect(existsSync(join(folder, 'big/data.bin'))).toBe(false);
    const done = await box.postJson(`/filesystem-multipart/${uploadId}/complete`, { parts });
    expect(done.status).toBe(200);
    expect(await done.json()).toEqual({ message: 'Multipart upload completed successfully', path: '/big/data.bin' });
    expect(readFileSync(join(folder, 'big/data.bin')).equals(Buffer.concat([first, second]))).toBe(true);
    expect(lstatSync(join(folder, 'big/data.bin')).mode & 0o777).toBe(0o600);
    expect((await box.fetch(`/filesystem-multipart/${uploadId}/parts`)).status).toBe(404);
    // The parts never appeared inside the sandbox.
    expect(readdirSync(folder).sort()).toEqual(['big']);
  });

  it('aborts an upload; an unknown one is a 404 (a part for it a 500, as on the server)', async () => {
    const { uploadId } = await (await box.postJson(`/filesystem-multipart/initiate/${encodeURIComponent('/x.bin')}`, {})).json();
    await upload(`/filesystem-multipart/${uploadId}/part?partNumber=1`, Buffer.from('abc'));
    const aborted = await box.fetch(`/filesystem-multipart/${uploadId}/abort`, { method: 'DELETE' });
    expect(await aborted.json()).toEqual({ message: 'Multipart upload aborted successfully' });
    expect((await box.fetch(`/filesystem-multipart/${uploadId}/abort`, { method: 'DELETE' })).status).toBe(404);
    expect((await upload(`/filesystem-multipart/${uploadId}/part?partNumber=1`, Buffer.from('abc'))).status).toBe(500);
    expect((await box.postJson(`/filesystem-multipart/${uploadId}/complete`, { parts: [] })).status).toBe(400);
    expect(existsSync(join(folder, 'x.bin'))).toBe(false);
  });
});

describe('watch', () => {
  it('streams a line per change in the directory until the client goes', async () => {
    await put('/w', { isDirectory: true });
    const response = await box.fetch(`/watch/filesystem/${encodeURIComponent('/w')}`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/plain; charset=utf-8');
    const stream = new TextStream(response);
    await put('/w/new.txt', { content: 'one' });
    const text = await stream.until((t) => t.includes('"name":"new.txt"'));
    const events = text.trim().split('\n').map((line) => JSON.parse(line));
    expect(events).toContainEqual({ op: 'CREATE', name: 'new.txt', path: '/w', error: null });
    // The emulator writes through a temporary file renamed into place; a client never sees it.
    expect(events.filter((e) => e.name !== 'new.txt')).toEqual([]);
    await stream.cancel();
  });

  it('with /** follows the tree below; ignore leaves paths out', async () => {
    await put('/t/sub', { isDirectory: true });
    const response = await box.fetch(`/watch/filesystem/${encodeURIComponent('/t/**')}?ignore=skip`);
    const stream = new TextStream(response);
    await put('/t/sub/skip.txt', { content: '1' });
    await put('/t/sub/deep.txt', { content: '2' });
    const text = await stream.until((t) => t.includes('"name":"deep.txt"'));
    expect(text).not.toContain('skip.txt');
    expect(text).toContain('"path":"/t/sub"');
    await stream.cancel();
  });

  it('refuses what is not a directory', async () => {
    await put('/f.txt', { content: '' });
    const response = await box.fetch(`/watch/filesystem/${encodeURIComponent('/f.txt')}`);
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({ error: 'path is not a directory' });
  });

  it('ends when the watched directory itself is removed, naming only what was in it', async () => {
    await put('/rmw/a.txt', { content: 'a' });
    const stream = new TextStream(await box.fetch(`/watch/filesystem/${encodeURIComponent('/rmw')}`));
    // The watch is live once it reports a change: only then is the removal sure to be seen.
    await put('/rmw/b.txt', { content: 'b' });
    const before = await stream.until((t) => t.includes('"name":"b.txt"'));
    expect((await box.fetch(`${enc('/rmw')}?recursive=true`, { method: 'DELETE' })).status).toBe(200);
    const after = (await stream.rest()).slice(before.length);
    expect(stream.ended).toBe(true);
    // inotify also reports the directory's own removal by its name: never a phantom /rmw/rmw.
    const events = after.trim().split('\n').map((line) => JSON.parse(line));
    expect(events.filter((e) => e.name === 'rmw' || e.path !== '/rmw')).toEqual([]);
    expect(events.filter((e) => e.op === 'REMOVE').sort((x, y) => x.name.localeCompare(y.name))).toEqual([
      { op: 'REMOVE', name: 'a.txt', path: '/rmw', error: null },
      { op: 'REMOVE', name: 'b.txt', path: '/rmw', error: null },
    ]);
  });

  it('ends when the sandbox is deleted', async () => {
    await put('/gone', { isDirectory: true });
    const stream = new TextStream(await box.fetch(`/watch/filesystem/${encodeURIComponent('/gone')}`));
    expect((await fetch(`${target.control}/sandboxes/files-${n}`, { method: 'DELETE' })).status).toBe(200);
    await stream.rest();
    expect(stream.ended).toBe(true);
  });
});

describe('processes and files share the folder', () => {
  it('a script written through the file API runs with that workingDir, and its output is read back', async () => {
    await put('/app/run.sh', { content: 'echo "ran in $(basename "$PWD")" > result.txt\n' });
    const done = await box.exec({ command: 'sh run.sh', workingDir: '/app', waitForCompletion: true });
    expect(done).toMatchObject({ status: 'completed', exitCode: 0 });
    expect((await (await box.fetch(enc('/app/result.txt'))).json()).content).toBe('ran in app\n');
  });
});
