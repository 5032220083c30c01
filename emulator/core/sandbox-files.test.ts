import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { existsSync, lstatSync, readFileSync, readdirSync, readlinkSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, readFile, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { FileTooLargeError, PathOutsideSandboxError, SandboxFileError, SandboxFiles, type SandboxFileErrorKind } from './sandbox-files.ts';

// Layout of every test: <base>/box is the sandbox's "/"; beside it a sentinel file and a
// directory that no operation may read, write or delete.
let base: string;
let box: string;
let files: SandboxFiles;
const SECRET = 'outside the sandbox\n';

beforeEach(async () => {
  base = await mkdtemp(join(tmpdir(), 'sandbox-files-test-'));
  box = join(base, 'box');
  await mkdir(box);
  await writeFile(join(base, 'sentinel.txt'), SECRET);
  await mkdir(join(base, 'outside'));
  await writeFile(join(base, 'outside', 'kept.txt'), SECRET);
  files = new SandboxFiles(box);
});

afterEach(async () => {
  // Whatever a test tried, nothing beside the folder changed.
  expect(readFileSync(join(base, 'sentinel.txt'), 'utf8')).toBe(SECRET);
  expect(readdirSync(join(base, 'outside'))).toEqual(['kept.txt']);
  expect(readFileSync(join(base, 'outside', 'kept.txt'), 'utf8')).toBe(SECRET);
  expect(readdirSync(base).filter((n) => n !== 'alias').sort()).toEqual(['box', 'outside', 'sentinel.txt']);
  await rm(base, { recursive: true, force: true });
});

async function* chunks(...parts: (string | Uint8Array)[]): AsyncGenerator<Uint8Array> {
  for (const part of parts) yield typeof part === 'string' ? Buffer.from(part) : part;
}

async function text(stream: Readable): Promise<string> {
  const out: Buffer[] = [];
  for await (const chunk of stream) out.push(chunk as Buffer);
  return Buffer.concat(out).toString('utf8');
}

async function refusal(promise: Promise<unknown>): Promise<SandboxFileError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error, 'the operation was refused').toBeInstanceOf(SandboxFileError);
  return error as SandboxFileError;
}

async function expectKind(promise: Promise<unknown>, kind: SandboxFileErrorKind): Promise<void> {
  expect((await refusal(promise)).kind).toBe(kind);
}

async function expectOutside(promise: Promise<unknown>): Promise<void> {
  const error = await refusal(promise);
  expect(error).toBeInstanceOf(PathOutsideSandboxError);
  expect(error.kind).toBe('outside');
}

describe('SandboxFiles paths', () => {
  it('maps absolute and relative sandbox paths into the folder, "/" being the folder', async () => {
    expect(files.normalize('/app/x.txt')).toBe('/app/x.txt');
    expect(files.normalize('app/x.txt')).toBe('/app/x.txt');
    expect(files.normalize('/a/./b//c/')).toBe('/a/b/c');
    expect(files.normalize('/a/../b')).toBe('/b');
    expect(files.normalize('')).toBe('/');
    await files.write('/app/x.txt', chunks('one'), { parents: true });
    expect(readFileSync(join(box, 'app', 'x.txt'), 'utf8')).toBe('one');
    expect(await text((await files.read('app/x.txt')).stream)).toBe('one');
  });

  it('refuses a `..` that climbs above "/" for every operation', async () => {
    for (const path of ['/..', '../sentinel.txt', '/a/../../sentinel.txt', 'x/../../outside/kept.txt']) {
      expect(() => files.normalize(path)).toThrow(PathOutsideSandboxError);
      await expectOutside(files.stat(path));
      await expectOutside(files.read(path));
      await expectOutside(files.write(path, chunks('overwritten')));
      await expectOutside(files.write(path, chunks('overwritten'), { parents: true }));
      await expectOutside(files.mkdir(path, { recursive: true }));
      await expectOutside(files.list(path));
      await expectOutside(files.listTree(path));
      await expectOutside(files.remove(path, { recursive: true }));
      await expectOutside(files.copy(path, '/copied', { recursive: true }));
      await expectOutside(files.move(path, '/moved'));
      await writeFile(join(box, 'mine.txt'), 'mine');
      await expectOutside(files.copy('/mine.txt', path, { overwrite: true }));
      await expectOutside(files.move('/mine.txt', path, { overwrite: true }));
    }
    expect(readdirSync(box)).toEqual(['mine.txt']);
  });

  it('refuses a NUL byte', async () => {
    const error = await refusal(files.read('/x\0/../../sentinel.txt'));
    expect(error.kind).toBe('invalid-path');
    expect(error.message).toContain('\\u0000');
    await expectKind(files.write('a\0b', chunks('x')), 'invalid-path');
    expect(readdirSync(box)).toEqual([]);
  });

  it('treats `%2e%2e` as a literal name, never decoding it again', async () => {
    await files.write('/a/%2e%2e/x', chunks('literal'), { parents: true });
    expect(readFileSync(join(box, 'a', '%2e%2e', 'x'), 'utf8')).toBe('literal');
    await expectKind(files.read('/%2e%2e/sentinel.txt'), 'not-found');
    await expectKind(files.read('%2e%2e%2fsentinel.txt'), 'not-found');
    await files.remove('/%2e%2e', { recursive: true }).catch(() => undefined);
    expect(existsSync(join(box, 'a', '%2e%2e', 'x'))).toBe(true);
  });
});

describe('SandboxFiles symlinks', () => {
  it('refuses a symlink to a file outside, for reading, writing, stat and copy; removing removes the link only', async () => {
    await symlink(join(base, 'sentinel.txt'), join(box, 'abs'));
    await symlink('../sentinel.txt', join(box, 'rel'));
    for (const link of ['/abs', '/rel']) {
      await expectOutside(files.read(link));
      await expectOutside(files.stat(link));
      await expectOutside(files.write(link, chunks('overwritten')));
      await expectOutside(files.copy(link, '/stolen'));
      await expectOutside(files.list(link));
    }
    expect(existsSync(join(box, 'stolen'))).toBe(false);
    await files.remove('/abs');
    expect(existsSync(join(box, 'abs'))).toBe(false);
    // The link is listed as itself, its target never stat'ed.
    expect(await files.list('/')).toEqual([expect.objectContaining({ name: 'rel', isSymlink: true, isDir: false })]);
  });

  it('refuses paths through a symlinked directory that leads outside', async () => {
    await symlink(join(base, 'outside'), join(box, 'door'));
    await expectOutside(files.read('/door/kept.txt'));
    await expectOutside(files.write('/door/new.txt', chunks('planted')));
    await expectOutside(files.write('/door/deep/new.txt', chunks('planted'), { parents: true }));
    await expectOutside(files.write('/door/kept.txt', chunks('overwritten')));
    await expectOutside(files.mkdir('/door/made', { recursive: true }));
    await expectOutside(files.list('/door'));
    await expectOutside(files.listTree('/door'));
    await expectOutside(files.remove('/door/kept.txt'));
    await writeFile(join(box, 'mine.txt'), 'mine');
    await expectOutside(files.move('/mine.txt', '/door/mine.txt'));
    await expectOutside(files.move('/door/kept.txt', '/taken.txt'));
    await expectOutside(files.copy('/mine.txt', '/door/mine.txt'));
    // A tree listing shows the link and does not enter it.
    const tree = await files.listTree('/');
    expect(tree.entries.map((e) => e.path).sort()).toEqual(['/door', '/mine.txt']);
    // Removing the directory link recursively removes the link, not what it points at.
    await files.remove('/door', { recursive: true });
    expect(existsSync(join(box, 'door'))).toBe(false);
  });

  it('refuses a dangling symlink whose target would be created outside', async () => {
    await symlink(join(base, 'planted.txt'), join(box, 'dangling'));
    await symlink('dangling', join(box, 'chain'));
    await symlink(join(base, 'planted-dir', 'x'), join(box, 'dangling-dir'));
    await expectOutside(files.write('/dangling', chunks('planted')));
    await expectOutside(files.write('/chain', chunks('planted')));
    await expectOutside(files.write('/dangling-dir/y', chunks('planted'), { parents: true }));
    await expectOutside(files.mkdir('/dangling', { recursive: true }));
    expect(existsSync(join(base, 'planted.txt'))).toBe(false);
    expect(existsSync(join(base, 'planted-dir'))).toBe(false);
  });

  it('follows symlinks that stay inside, dangling ones included', async () => {
    await mkdir(join(box, 'data'));
    await writeFile(join(box, 'data', 'a.txt'), 'inside');
    await symlink('data/a.txt', join(box, 'to-a'));
    await symlink(join(box, 'data'), join(box, 'to-data'));
    await symlink('data/later.txt', join(box, 'to-later'));
    expect(await text((await files.read('/to-a')).stream)).toBe('inside');
    expect((await files.list('/to-data')).map((e) => e.name)).toEqual(['a.txt']);
    await files.write('/to-later', chunks('written through the link'));
    expect(readFileSync(join(box, 'data', 'later.txt'), 'utf8')).toBe('written through the link');
    expect(lstatSync(join(box, 'to-later')).isSymbolicLink()).toBe(true);
  });

  it('refuses a symlink loop', async () => {
    await symlink('b', join(box, 'a'));
    await symlink('a', join(box, 'b'));
    await expectOutside(files.read('/a'));
    await expectOutside(files.write('/a', chunks('x')));
  });

  it('works when the folder itself is reached through a symlink', async () => {
    await symlink(box, join(base, 'alias'));
    const aliased = new SandboxFiles(join(base, 'alias'));
    await aliased.write('/x.txt', chunks('via alias'));
    expect(readFileSync(join(box, 'x.txt'), 'utf8')).toBe('via alias');
    await expectOutside(aliased.read('/../sentinel.txt'));
  });

  it('copies a directory with a link inside as a link, its target text unchanged', async () => {
    await mkdir(join(box, 'src'));
    await writeFile(join(box, 'src', 'f.txt'), 'f');
    await symlink('../../sentinel.txt', join(box, 'src', 'up'));
    await files.copy('/src', '/dst', { recursive: true });
    expect(readFileSync(join(box, 'dst', 'f.txt'), 'utf8')).toBe('f');
    expect(readlinkSync(join(box, 'dst', 'up'))).toBe('../../sentinel.txt');
    await expectOutside(files.read('/dst/up'));
  });
});

describe('SandboxFiles operations', () => {
  it('streams a file back, whole or by inclusive byte range, with its stat', async () => {
    await writeFile(join(box, 'f.bin'), '0123456789');
    const whole = await files.read('/f.bin');
    expect(whole.stat).toMatchObject({ path: '/f.bin', isFile: true, isDir: false, size: 10 });
    expect(await text(whole.stream)).toBe('0123456789');
    expect(await text((await files.read('/f.bin', { start: 2, end: 4 })).stream)).toBe('234');
    expect(await text((await files.read('/f.bin', { start: 7 })).stream)).toBe('789');
    await expectKind(files.read('/missing'), 'not-found');
    await mkdir(join(box, 'd'));
    await expectKind(files.read('/d'), 'is-a-directory');
    await expectKind(files.read('/f.bin/x'), 'not-a-directory');
  });

  it('writes from a stream, replacing a file whole and keeping its mode; parents only when asked', async () => {
    expect(await files.write('/a.txt', chunks('hello ', 'world'))).toEqual({ bytes: 11 });
    expect(readFileSync(join(box, 'a.txt'), 'utf8')).toBe('hello world');
    await chmod(join(box, 'a.txt'), 0o755);
    await files.write('/a.txt', chunks('short'));
    expect(readFileSync(join(box, 'a.txt'), 'utf8')).toBe('short');
    expect((await files.stat('/a.txt')).mode).toBe(0o755);
    await files.write('/empty', chunks());
    expect(readFileSync(join(box, 'empty'), 'utf8')).toBe('');
    await expectKind(files.write('/no/such/dir.txt', chunks('x')), 'not-found');
    await files.write('/made/by/write.txt', chunks('x'), { parents: true });
    expect(readFileSync(join(box, 'made', 'by', 'write.txt'), 'utf8')).toBe('x');
    await expectKind(files.write('/made', chunks('x')), 'is-a-directory');
    await expectKind(files.write('/', chunks('x')), 'is-a-directory');
    await expectKind(files.write('/a.txt/inner', chunks('x'), { parents: true }), 'not-a-directory');
    await expectKind(files.write('/a.txt/deeper/inner', chunks('x'), { parents: true }), 'not-a-directory');
    await expectKind(files.write('/a.txt/inner', chunks('x')), 'not-a-directory');
    expect(readdirSync(box).sort()).toEqual(['a.txt', 'empty', 'made']);
  });

  it('fails a write past maxFileBytes with FileTooLargeError, leaving no partial file and the old one intact', async () => {
    const small = new SandboxFiles(box, { maxFileBytes: 8 });
    expect(small.maxFileBytes).toBe(8);
    expect(new SandboxFiles(box).maxFileBytes).toBe(1024 ** 3);
    await small.write('/exact', chunks('1234', '5678'));
    const error = await refusal(small.write('/big', chunks('1234', '56789')));
    expect(error).toBeInstanceOf(FileTooLargeError);
    expect(error).toMatchObject({ kind: 'too-large', limit: 8 });
    await expectKind(small.write('/exact', chunks('abcdefghi')), 'too-large');
    await expectKind(files.write('/capped', chunks('abc'), { maxFileBytes: 2 }), 'too-large');
    expect(readdirSync(box)).toEqual(['exact']);
    expect(readFileSync(join(box, 'exact'), 'utf8')).toBe('12345678');
  });

  it('leaves no partial file when the source fails, and reports the source error', async () => {
    async function* broken(): AsyncGenerator<Uint8Array> {
      yield Buffer.from('part');
      throw new Error('client went away');
    }
    await expect(files.write('/f', broken())).rejects.toThrow('client went away');
    expect(readdirSync(box)).toEqual([]);
  });

  it('makes directories, recursively when asked', async () => {
    await files.mkdir('/d');
    expect(lstatSync(join(box, 'd')).isDirectory()).toBe(true);
    await expectKind(files.mkdir('/d'), 'already-exists');
    await expectKind(files.mkdir('/x/y'), 'not-found');
    await files.mkdir('/x/y/z', { recursive: true });
    await files.mkdir('/x/y/z', { recursive: true });
    expect(lstatSync(join(box, 'x', 'y', 'z')).isDirectory()).toBe(true);
    await writeFile(join(box, 'file'), '');
    await expectKind(files.mkdir('/file', { recursive: true }), 'already-exists');
  });

  it('lists a directory: name, isDir, size, modified ms and mode, sorted by name', async () => {
    await writeFile(join(box, 'b.txt'), 'four');
    await chmod(join(box, 'b.txt'), 0o640);
    await mkdir(join(box, 'a'));
    const before = Date.now();
    const entries = await files.list('/');
    expect(entries.map((e) => e.name)).toEqual(['a', 'b.txt']);
    expect(entries[1]).toMatchObject({ name: 'b.txt', isDir: false, isSymlink: false, size: 4, mode: 0o640 });
    expect(entries[0]).toMatchObject({ name: 'a', isDir: true });
    expect(Number.isInteger(entries[1].modifiedMs)).toBe(true);
    expect(Math.abs(entries[1].modifiedMs - before)).toBeLessThan(60_000);
    await expectKind(files.list('/b.txt'), 'not-a-directory');
    await expectKind(files.list('/missing'), 'not-found');
  });

  it('lists a tree within its bounds and says when it stopped', async () => {
    await mkdir(join(box, 'a', 'b', 'c'), { recursive: true });
    await writeFile(join(box, 'a', 'b', 'c', 'deep.txt'), 'x');
    await writeFile(join(box, 'a', 'one.txt'), 'x');
    const all = await files.listTree('/');
    expect(all.truncated).toBe(false);
    expect(all.entries.map((e) => e.path)).toEqual(['/a', '/a/b', '/a/b/c', '/a/b/c/deep.txt', '/a/one.txt']);
    const few = await files.listTree('/', { maxEntries: 2 });
    expect(few).toMatchObject({ truncated: true, entries: [{ path: '/a' }, { path: '/a/b' }] });
    const shallow = await files.listTree('/a', { maxDepth: 1 });
    expect(shallow.truncated).toBe(true);
    expect(shallow.entries.map((e) => e.path)).toEqual(['/a/b', '/a/one.txt']);
    expect((await new SandboxFiles(box, { maxTreeEntries: 1 }).listTree('/')).entries).toHaveLength(1);
  });

  it('removes files and directories, recursive only when asked, and never the root', async () => {
    await mkdir(join(box, 'd', 'e'), { recursive: true });
    await writeFile(join(box, 'd', 'e', 'f'), 'x');
    await writeFile(join(box, 'g'), 'x');
    await files.remove('/g');
    expect(existsSync(join(box, 'g'))).toBe(false);
    await expectKind(files.remove('/g'), 'not-found');
    await expectKind(files.remove('/d'), 'not-empty');
    await files.remove('/d', { recursive: true });
    expect(readdirSync(box)).toEqual([]);
    await expectKind(files.remove('/', { recursive: true }), 'invalid-path');
    await expectKind(files.remove('/x/..', { recursive: true }), 'invalid-path');
    expect(existsSync(box)).toBe(true);
  });

  it('copies files and directories; an existing target only with overwrite', async () => {
    await mkdir(join(box, 'src', 'sub'), { recursive: true });
    await writeFile(join(box, 'src', 'sub', 'f'), 'tree');
    await writeFile(join(box, 'a'), 'A');
    await writeFile(join(box, 'b'), 'B');
    await files.copy('/a', '/c');
    expect(readFileSync(join(box, 'c'), 'utf8')).toBe('A');
    await expectKind(files.copy('/a', '/b'), 'already-exists');
    expect(readFileSync(join(box, 'b'), 'utf8')).toBe('B');
    await files.copy('/a', '/b', { overwrite: true });
    expect(readFileSync(join(box, 'b'), 'utf8')).toBe('A');
    await expectKind(files.copy('/src', '/dst'), 'is-a-directory');
    await files.copy('/src', '/dst', { recursive: true });
    expect(readFileSync(join(box, 'dst', 'sub', 'f'), 'utf8')).toBe('tree');
    await expectKind(files.copy('/src', '/src/sub/again', { recursive: true }), 'invalid-path');
    await expectKind(files.copy('/missing', '/x'), 'not-found');
  });

  it('moves files and directories; an existing target only with overwrite; not into itself', async () => {
    await mkdir(join(box, 'd'));
    await writeFile(join(box, 'd', 'f'), 'moved');
    await writeFile(join(box, 'other'), 'other');
    await files.move('/d', '/e');
    expect(readFileSync(join(box, 'e', 'f'), 'utf8')).toBe('moved');
    expect(existsSync(join(box, 'd'))).toBe(false);
    await expectKind(files.move('/e/f', '/other'), 'already-exists');
    await files.move('/e/f', '/other', { overwrite: true });
    expect(readFileSync(join(box, 'other'), 'utf8')).toBe('moved');
    await expectKind(files.move('/e', '/e/inside'), 'invalid-path');
    await expectKind(files.move('/missing', '/x'), 'not-found');
    await expectKind(files.move('/', '/x'), 'invalid-path');
    expect((await readdir(box)).sort()).toEqual(['e', 'other']);
  });

  it('says not-found once the folder itself is gone', async () => {
    await rm(box, { recursive: true });
    await expectKind(new SandboxFiles(box).list('/'), 'not-found');
    await expectKind(new SandboxFiles(box).write('/x', chunks('x')), 'not-found');
    await mkdir(box);
  });

  it('reads a large file as a stream, in chunks, not as one buffer', async () => {
    await writeFile(join(box, 'big'), Buffer.alloc(1 << 20, 7));
    const { stream } = await files.read('/big');
    let count = 0;
    let largest = 0;
    for await (const chunk of stream) {
      count += 1;
      largest = Math.max(largest, (chunk as Buffer).length);
    }
    expect(count).toBeGreaterThan(1);
    expect(largest).toBeLessThan(1 << 20);
    expect((await readFile(join(box, 'big'))).length).toBe(1 << 20);
  });
});
