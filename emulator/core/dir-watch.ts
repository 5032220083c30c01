import { watch, type FSWatcher } from 'node:fs';
import { lstat, readdir } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { wasReplaced } from './replaced-files.ts';

/** One change in a watched folder, by its path relative to the folder. */
export interface DirChange {
  op: 'create' | 'write' | 'remove';
  relative: string;
}

export interface DirWatchOptions {
  recursive: boolean;
  /** Ends the watch: the client went, or the sandbox is going away. */
  signal: AbortSignal;
  /** Yields 'keepalive' this often, for streams whose protocol sends them. Default: never. */
  keepaliveMs?: number;
}

/** Changes waiting for a slow reader, at most; past it new ones are dropped, not buffered. */
const MAX_QUEUED = 10_000;

/** Folders one recursive watch follows, at most (one inotify watch each). */
const MAX_FOLDERS = 4_096;

/** The name SandboxFiles.write gives the file it writes before renaming it into place. */
const WRITE_TEMP = /^\..*\.[0-9a-f]{12}\.part$/;

/**
 * The changes of a real folder (and, recursive, of its tree), as the providers' watchers report
 * them: Node says `change` (content) or `rename` (a name came or went), which is fsnotify's
 * WRITE, and CREATE or REMOVE by whether the name is there now. Ends when the signal aborts or
 * the folder itself goes (removed, or moved aside by a sandbox delete).
 *
 * A recursive watch is one plain watch per folder of the tree, added as folders come, as
 * fsnotify-based watchers do: Node 20's own recursive watch on Linux reports a file replaced by
 * a rename as `change` and then loses it (its removal never comes).
 */
export async function* watchFolder(host: string, options: DirWatchOptions): AsyncGenerator<DirChange | 'keepalive'> {
  const queue: Array<{ type: string; name: string; folder?: string }> = [];
  const watchers = new Map<string, FSWatcher>();
  let wake: (() => void) | undefined;
  let ended = false;
  const end = () => {
    ended = true;
    wake?.();
  };
  /** Watches one folder (`relative` to the root, '' for the root); false when it cannot. */
  const follow = (relative: string): boolean => {
    if (watchers.has(relative) || watchers.size >= MAX_FOLDERS) return watchers.has(relative);
    let watcher: FSWatcher;
    try {
      watcher = watch(join(host, relative), { persistent: false }, (type, name) => {
        if (name === null || queue.length >= MAX_QUEUED) return;
        queue.push({ type, name: relative ? `${relative}/${name.toString()}` : name.toString(), folder: relative });
        wake?.();
      });
    } catch {
      return false;
    }
    // The root's watcher failing ends the watch; a sub-folder's just stops being followed.
    watcher.on('error', () => (relative === '' ? end() : unfollow(relative)));
    watchers.set(relative, watcher);
    return true;
  };
  const unfollow = (relative: string) => {
    for (const [key, watcher] of watchers) {
      if (key === relative || key.startsWith(`${relative}/`)) {
        watcher.close();
        watchers.delete(key);
      }
    }
  };
  /** Follows a folder and every folder below it. */
  const followTree = async (relative: string): Promise<void> => {
    if (!follow(relative)) return;
    const entries = await readdir(join(host, relative), { withFileTypes: true }).catch(() => []);
    for (const entry of entries) if (entry.isDirectory()) await followTree(relative ? `${relative}/${entry.name}` : entry.name);
  };
  if (!follow('')) return;
  if (options.recursive) await followTree('');
  if (options.signal.aborted) end();
  options.signal.addEventListener('abort', end, { once: true });
  const keepalive =
    options.keepaliveMs === undefined
      ? undefined
      : setInterval(() => {
          queue.push({ type: 'keepalive', name: '' });
          wake?.();
        }, options.keepaliveMs);
  try {
    while (!ended) {
      const next = queue.shift();
      if (!next) {
        await new Promise<void>((resolve) => {
          wake = resolve;
        });
        wake = undefined;
        continue;
      }
      if (next.type === 'keepalive') {
        yield 'keepalive';
        continue;
      }
      // The folder itself removed or moved: inotify reports it by the folder's own name, which
      // is no entry of it. The watch ends; the entries' removals before it were reported.
      if (next.type === 'rename' && next.name === basename(host) && !(await exists(host))) break;
      // A sub-folder's own watcher saying that folder went: its parent's watcher reports it.
      if (next.folder && next.name === `${next.folder}/${basename(next.folder)}` && !(await exists(join(host, next.folder)))) continue;
      // The emulator's own temporary file of a write in progress (renamed into place when
      // whole): the providers write in place, so a client sees only the file's name.
      if (WRITE_TEMP.test(basename(next.name))) continue;
      const full = join(host, next.name);
      if (next.type !== 'rename') {
        yield { op: 'write', relative: next.name };
        continue;
      }
      const stat = await lstat(full).catch(() => undefined);
      if (options.recursive && stat?.isDirectory()) await followTree(next.name);
      if (options.recursive && !stat) unfollow(next.name);
      // A file the emulator's write renamed into place is what a write in place shows: WRITE when
      // it replaced a file, CREATE then WRITE when it is new.
      const replaced = stat ? wasReplaced(full) : undefined;
      if (replaced !== true) yield { op: stat ? 'create' : 'remove', relative: next.name };
      if (replaced !== undefined) yield { op: 'write', relative: next.name };
    }
  } finally {
    if (keepalive) clearInterval(keepalive);
    options.signal.removeEventListener('abort', end);
    for (const watcher of watchers.values()) watcher.close();
  }
}

function exists(host: string): Promise<boolean> {
  return lstat(host).then(
    () => true,
    () => false,
  );
}
