import { watch, type FSWatcher } from 'node:fs';
import { lstat } from 'node:fs/promises';
import { basename } from 'node:path';

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

/** The name SandboxFiles.write gives the file it writes before renaming it into place. */
const WRITE_TEMP = /^\..*\.[0-9a-f]{12}\.part$/;

/**
 * The changes of a real folder (and, recursive, of its tree), as the providers' watchers report
 * them: Node says `change` (content) or `rename` (a name came or went), which is fsnotify's
 * WRITE, and CREATE or REMOVE by whether the name is there now. Ends when the signal aborts or
 * the folder itself goes (removed, or moved aside by a sandbox delete).
 */
export async function* watchFolder(host: string, options: DirWatchOptions): AsyncGenerator<DirChange | 'keepalive'> {
  const queue: Array<{ type: string; name: string }> = [];
  let wake: (() => void) | undefined;
  let ended = false;
  const end = () => {
    ended = true;
    wake?.();
  };
  let watcher: FSWatcher;
  try {
    watcher = watch(host, { recursive: options.recursive, persistent: false }, (type, name) => {
      if (name === null || queue.length >= MAX_QUEUED) return;
      queue.push({ type, name: name.toString() });
      wake?.();
    });
  } catch {
    return;
  }
  watcher.on('error', end);
  watcher.on('close', end);
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
      // The emulator's own temporary file of a write in progress (renamed into place when
      // whole): the providers write in place, so a client sees only the file's name.
      if (WRITE_TEMP.test(basename(next.name))) continue;
      const op = next.type !== 'rename' ? 'write' : (await exists(`${host}/${next.name}`)) ? 'create' : 'remove';
      yield { op, relative: next.name };
    }
  } finally {
    if (keepalive) clearInterval(keepalive);
    options.signal.removeEventListener('abort', end);
    watcher.close();
  }
}

function exists(host: string): Promise<boolean> {
  return lstat(host).then(
    () => true,
    () => false,
  );
}
