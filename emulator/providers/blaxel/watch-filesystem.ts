import { watchFolder, type DirChange } from '../../core/dir-watch.ts';
import { SandboxFileError } from '../../core/sandbox-files.ts';
import type { Frame } from '../../kernel/frames.ts';
import type { Handler } from '../../kernel/exchange.ts';
import { sandboxFor, type BlaxelContext, type BlaxelSandbox } from './blaxel-context.ts';
import { filesOf, formatPath, goFileError } from './file-access.ts';
import { childPath } from './file-view.ts';
import { ginError, ginStream } from './gin-response.ts';

/** The server writes `[keepalive]` into a watch stream this often. */
export const WATCH_KEEPALIVE_MS = 30_000;

/** The FileEvent of the stream: fsnotify's op name, the entry's name and its directory. */
interface FileEvent {
  op: 'CREATE' | 'WRITE' | 'REMOVE';
  name: string;
  path: string;
  error: null;
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
  // Ended by the client going, or by the sandbox going away (deleted, or the emulator closing).
  const signal = AbortSignal.any([options.signal, options.sandbox.ended]);
  for await (const change of watchFolder(options.host, { recursive: options.recursive, signal, keepaliveMs: options.keepaliveMs })) {
    if (change === 'keepalive') {
      yield { data: '[keepalive]\n', payload: '[keepalive]' };
      continue;
    }
    const event = fileEvent(options, change);
    if (!event) continue;
    const line = JSON.stringify(event);
    yield { data: `${line}\n`, payload: line };
  }
}

/** fsnotify's op, the entry's name and its directory, as the server writes them. */
function fileEvent(options: WatchOptions, change: DirChange): FileEvent | undefined {
  const full = childPath(options.dir, change.relative);
  if (options.ignore.some((pattern) => full.includes(pattern))) return undefined;
  const cut = full.lastIndexOf('/');
  // The server splits the event's path at its last slash: a file of `/` has the path ''.
  return { op: change.op.toUpperCase() as FileEvent['op'], name: full.slice(cut + 1), path: full.slice(0, cut), error: null };
}
