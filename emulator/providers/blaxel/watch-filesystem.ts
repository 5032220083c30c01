import { watch, type FSWatcher } from 'node:fs';
import { lstat } from 'node:fs/promises';
import { basename } from 'node:path';
import { SandboxFileError } from '../../core/sandbox-files.ts';
import type { Frame } from '../../kernel/frames.ts';
import type { Handler } from '../../kernel/exchange.ts';
import { sandboxFor, type BlaxelContext, type BlaxelSandbox } from './blaxel-context.ts';
import { filesOf, formatPath, goFileError } from './file-access.ts';
import { childPath } from './file-view.ts';
import { ginError, ginStream } from './gin-response.ts';

/** The server writes `[keepalive]` into a watch stream this often. */
export const WATCH_KEEPALIVE_MS = 30_000;

/** Events waiting for a slow reader, at most; past it new ones are dropped, not buffered. */
const MAX_QUEUED = 10_000;

/** The name SandboxFiles.write gives the file it writes before renaming it into place. */
const WRITE_TEMP = /^\..*\.[0-9a-f]{12}\.part$/;

/** The FileEvent of the stream: fsnotify's op name, the entry's name and its directory. */
interface FileEvent {
  op: 'CREATE' | 'WRITE' | 'REMOVE';
  name: string;
  path: string;
  error: null;
}

const watchesOf = new WeakMap<BlaxelSandbox, Set<() => void>>();

/** Ends every watch stream of a sandbox that is going away. */
export function endWatches(sandbox: BlaxelSandbox): void {
  const ends = watchesOf.get(sandbox);
  watchesOf.delete(sandbox);
  for (const end of ends ?? []) end();
}

/** GET /watch/filesystem/{path}: change events of a directory (`/**`: of its whole tree). */
export function watchFilesystemHandler(bx: BlaxelContext, options: { keepaliveMs?: number } = {}): Handler {
  return async (ctx) => {
    const sandbox = await sandboxFor(bx, ctx);
    const files = filesOf(bx, sandbox);
    let path = formatPath(ctx.params.path ?? '');
    const recursive = path.endsWith('/**');
    if (recursive) path = path.slice(0, -3) || '/';
    let dir: string;
    let host: string;
    try {
      dir = files.normalize(path);
      const stat = await files.stat(dir);
      if (!stat.isDir) return ginError(400, 'path is not a directory');
      host = await files.confine(dir);
    } catch (error) {
      if (!(error instanceof SandboxFileError)) throw error;
      if (error.kind === 'not-found' || error.kind === 'not-a-directory') return ginError(400, 'path is not a directory');
      return ginError(422, goFileError('stat', path, error));
    }
    const ignore = (ctx.query.get('ignore') ?? '').split(',').filter(Boolean);
    return ginStream('text/plain; charset=utf-8', events({ sandbox, dir, host, recursive, ignore, signal: ctx.signal, keepaliveMs: options.keepaliveMs ?? WATCH_KEEPALIVE_MS }));
  };
}

interface WatchOptions {
  sandbox: BlaxelSandbox;
  /** The watched directory's sandbox path, and where it is on the host. */
  dir: string;
  host: string;
  recursive: boolean;
  ignore: string[];
  signal: AbortSignal;
  keepaliveMs: number;
}

async function* events(options: WatchOptions): AsyncGenerator<Frame> {
  const queue: Array<{ type: string; name: string }> = [];
  let wake: (() => void) | undefined;
  let ended = false;
  const end = () => {
    ended = true;
    wake?.();
  };
  let watcher: FSWatcher;
  try {
    watcher = watch(options.host, { recursive: options.recursive, persistent: false }, (type, name) => {
      if (name === null || queue.length >= MAX_QUEUED) return;
      queue.push({ type, name: name.toString() });
      wake?.();
    });
  } catch {
    return;
  }
  // The watched directory removed (the sandbox deleted, an rm -r): the stream ends.
  watcher.on('error', end);
  watcher.on('close', end);
  let ends = watchesOf.get(options.sandbox);
  if (!ends) watchesOf.set(options.sandbox, (ends = new Set()));
  ends.add(end);
  options.signal.addEventListener('abort', end, { once: true });
  const keepalive = setInterval(() => {
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
        yield { data: '[keepalive]\n', payload: '[keepalive]' };
        continue;
      }
      const event = await fileEvent(options, next.type, next.name);
      if (event === 'gone') break;
      if (!event) continue;
      const line = JSON.stringify(event);
      yield { data: `${line}\n`, payload: line };
    }
  } finally {
    clearInterval(keepalive);
    options.signal.removeEventListener('abort', end);
    ends.delete(end);
    watcher.close();
  }
}

/**
 * Node reports `change` (content) or `rename` (a name came or went); fsnotify's WRITE, and
 * CREATE or REMOVE by whether the name is there now.
 */
async function fileEvent(options: WatchOptions, type: string, relative: string): Promise<FileEvent | 'gone' | undefined> {
  // The watched directory itself removed or moved (a sandbox delete moves its folder aside):
  // inotify reports it by the directory's own name, which is no entry of it (and would show the
  // host folder's name for /). The stream ends; the entries' removals before it were sent.
  if (type === 'rename' && relative === basename(options.host) && !(await exists(options.host))) return 'gone';
  const full = childPath(options.dir, relative);
  if (options.ignore.some((pattern) => full.includes(pattern))) return undefined;
  // The emulator's own temporary file of a write in progress (renamed into place when whole):
  // the server writes in place, so a client sees only the file's name.
  if (WRITE_TEMP.test(full.slice(full.lastIndexOf('/') + 1))) return undefined;
  let op: FileEvent['op'] = 'WRITE';
  if (type === 'rename') op = (await exists(`${options.host}/${relative}`)) ? 'CREATE' : 'REMOVE';
  const cut = full.lastIndexOf('/');
  // The server splits the event's path at its last slash: a file of `/` has the path ''.
  return { op, name: full.slice(cut + 1), path: full.slice(0, cut), error: null };
}

function exists(host: string): Promise<boolean> {
  return lstat(host).then(
    () => true,
    () => false,
  );
}
