import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { watchFolder, type DirChange } from './dir-watch.ts';
import { SandboxFiles } from './sandbox-files.ts';

const roots: string[] = [];
afterEach(async () => {
  await Promise.all(roots.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
});

/** Collects a watch's changes; `until` resolves once one matches (on the event, with a deadline). */
function collect(host: string, recursive: boolean) {
  const stop = new AbortController();
  const seen: DirChange[] = [];
  const waiters: Array<{ wanted: (c: DirChange) => boolean; resolve: () => void }> = [];
  const running = (async () => {
    for await (const change of watchFolder(host, { recursive, signal: stop.signal })) {
      if (change === 'keepalive') continue;
      seen.push(change);
      for (const w of waiters.filter((w) => w.wanted(change))) (waiters.splice(waiters.indexOf(w), 1), w.resolve());
    }
  })();
  const until = (op: DirChange['op'], relative: string) =>
    seen.some((c) => c.op === op && c.relative === relative)
      ? Promise.resolve()
      : new Promise<void>((resolve, reject) => {
          const timer = setTimeout(() => reject(new Error(`no ${op} ${relative}: saw ${JSON.stringify(seen)}`)), 10_000);
          waiters.push({ wanted: (c) => c.op === op && c.relative === relative, resolve: () => (clearTimeout(timer), resolve()) });
        });
  return { seen, until, close: async () => (stop.abort(), await running) };
}

describe('watchFolder', () => {
  it('follows a tree recursively, folders made after it started included: a file written, replaced by the file API and removed', async () => {
    const root = await mkdtemp(join(tmpdir(), 'dir-watch-'));
    roots.push(root);
    await mkdir(join(root, 'old'));
    const files = new SandboxFiles(root);
    const watch = collect(root, true);
    // Let the watch arm: a first change it sees means it is watching.
    await writeFile(join(root, 'ready'), '');
    await watch.until('create', 'ready');
    await mkdir(join(root, 'old', 'new'));
    await watch.until('create', 'old/new');
    await files.write('/old/new/f.txt', (async function* () { yield Buffer.from('one'); })());
    await watch.until('create', 'old/new/f.txt');
    // Replaced (written aside and renamed into place): a WRITE, and the file is still followed.
    await files.write('/old/new/f.txt', (async function* () { yield Buffer.from('two'); })());
    await watch.until('write', 'old/new/f.txt');
    await rm(join(root, 'old', 'new', 'f.txt'));
    await watch.until('remove', 'old/new/f.txt');
    await rm(join(root, 'old', 'new'), { recursive: true });
    await watch.until('remove', 'old/new');
    await writeFile(join(root, 'done'), '');
    await watch.until('create', 'done');
    await watch.close();
    // New: CREATE then WRITE; replaced: WRITE; as a write in place shows.
    expect(watch.seen.filter((c) => c.relative === 'old/new/f.txt').map((c) => c.op)).toEqual(['create', 'write', 'write', 'remove']);
    // Neither the write's temporary file nor the removed folder's own watcher shows.
    expect(watch.seen.filter((c) => c.relative.endsWith('.part') || c.relative === 'old/new/new')).toEqual([]);
  });

  it('without recursive, sees the folder’s own entries only', async () => {
    const root = await mkdtemp(join(tmpdir(), 'dir-watch-'));
    roots.push(root);
    await mkdir(join(root, 'sub'));
    const watch = collect(root, false);
    await writeFile(join(root, 'ready'), '');
    await watch.until('create', 'ready');
    await writeFile(join(root, 'sub', 'hidden.txt'), 'x');
    await writeFile(join(root, 'seen.txt'), 'x');
    await watch.until('create', 'seen.txt');
    await watch.close();
    expect(watch.seen.map((c) => c.relative)).not.toContain('sub/hidden.txt');
  });
});
