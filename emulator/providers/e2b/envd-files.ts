import { posix } from 'node:path';
import { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { SandboxFileError, SandboxFiles, type SandboxFileErrorKind } from '../../core/sandbox-files.ts';
import type { Frame } from '../../kernel/frames.ts';
import type { EmuResponse, Handler, HandlerContext } from '../../kernel/exchange.ts';
import { formBoundary, formParts, MultipartError } from '../multipart-form.ts';
import { json } from '../respond.ts';
import { connectError } from './dialects.ts';
import type { E2bSandbox, E2bState } from './e2b-state.ts';
import { inSandbox } from './envd-sandbox.ts';
import { metadataFromHeaders, metadataRefusal, type FileMetadata } from './file-metadata.ts';

/**
 * envd's filesystem, on real files in the sandbox's folder. E2B's user works in /home/user, and
 * that is the folder (as it is its processes' working directory): `/home/user/a.txt` and
 * `a.txt` both name `<folder>/a.txt`. Another absolute path names a place below the folder too,
 * so that nothing leads out of it; a process sees the host there instead (the README says so).
 */
const HOME = '/home/user';

export function sandboxPath(path: string): string {
  const absolute = path.startsWith('/') ? path : `${HOME}/${path}`;
  const normal = posix.normalize(absolute);
  return normal === HOME ? '/' : normal.startsWith(`${HOME}/`) ? normal.slice(HOME.length) : normal;
}

/** The path as E2B names it: absolute, relative ones from /home/user. */
export function asE2b(path: string): string {
  const normal = posix.normalize(path.startsWith('/') ? path : `${HOME}/${path}`);
  return normal.length > 1 ? normal.replace(/\/$/, '') : normal;
}

export const filesOf = (sandbox: E2bSandbox) => new SandboxFiles(sandbox.dir);

/** Go's os.FileMode text: the type letter, then rwx thrice. */
function permissions(mode: number, dir: boolean, link: boolean): string {
  const bits = 'rwxrwxrwx'.split('').map((c, i) => (mode & (1 << (8 - i)) ? c : '-')).join('');
  return `${link ? 'L' : dir ? 'd' : '-'}${bits}`;
}

/** An EntryInfo; `metadata` is the file's user metadata, left out when it has none (as envd does). */
export function entryInfo(path: string, entry: { isDir: boolean; isSymlink?: boolean; size: number; modifiedMs: number; mode: number }, metadata?: FileMetadata) {
  const name = posix.basename(path) || '/';
  return {
    name,
    type: entry.isSymlink ? 'FILE_TYPE_SYMLINK' : entry.isDir ? 'FILE_TYPE_DIRECTORY' : 'FILE_TYPE_FILE',
    path,
    size: String(entry.size),
    mode: entry.mode,
    permissions: permissions(entry.mode, entry.isDir, entry.isSymlink ?? false),
    owner: 'user',
    group: 'user',
    modifiedTime: new Date(entry.modifiedMs).toISOString(),
    ...(metadata && { metadata }),
  };
}

/** A file error as envd's Connect error (inferred from its handlers: not_found, already_exists, invalid_argument). */
export const CONNECT_CODES: Record<SandboxFileErrorKind, [number, string]> = {
  outside: [400, 'invalid_argument'],
  'invalid-path': [400, 'invalid_argument'],
  'not-found': [404, 'not_found'],
  'not-a-directory': [400, 'invalid_argument'],
  'is-a-directory': [400, 'invalid_argument'],
  'already-exists': [409, 'already_exists'],
  'not-empty': [400, 'invalid_argument'],
  'permission-denied': [403, 'permission_denied'],
  'name-too-long': [400, 'invalid_argument'],
  'too-large': [400, 'invalid_argument'],
};

/** A filesystem procedure: its file errors become envd's Connect errors. */
function rpc(state: E2bState, run: (ctx: HandlerContext, files: SandboxFiles, sandbox: E2bSandbox) => Promise<EmuResponse>): Handler {
  return inSandbox(state, async (ctx, sandbox) => {
    try {
      return await run(ctx, filesOf(sandbox), sandbox);
    } catch (error) {
      if (!(error instanceof SandboxFileError)) throw error;
      const [status, code] = CONNECT_CODES[error.kind];
      return connectError(status, code, error.kind === 'not-found' ? `path not found: ${error.path}` : error.message);
    }
  });
}

export async function entryAt(sandbox: E2bSandbox, files: SandboxFiles, path: string) {
  const stat = await files.stat(sandboxPath(path));
  return entryInfo(asE2b(path), stat, await sandbox.data.fileMetadata.read(files, sandboxPath(path)));
}

export function statHandler(state: E2bState): Handler {
  return rpc(state, async (ctx, files, sandbox) => json(200, { entry: await entryAt(sandbox, files, (ctx.body as { path: string }).path) }));
}

export function makeDirHandler(state: E2bState): Handler {
  return rpc(state, async (ctx, files, sandbox) => {
    const { path } = ctx.body as { path: string };
    const exists = await files.stat(sandboxPath(path)).then(
      () => true,
      () => false,
    );
    if (exists) return connectError(409, 'already_exists', `directory already exists: ${asE2b(path)}`);
    await files.mkdir(sandboxPath(path), { recursive: true });
    return json(200, { entry: await entryAt(sandbox, files, path) });
  });
}

export function listDirHandler(state: E2bState): Handler {
  return rpc(state, async (ctx, files, sandbox) => {
    const { path, depth } = ctx.body as { path: string; depth?: number };
    const base = asE2b(path);
    const levels = Math.max(1, depth ?? 1);
    const stat = await files.stat(sandboxPath(path));
    if (!stat.isDir) return connectError(400, 'invalid_argument', `path is not a directory: ${base}`);
    const { entries } = await files.listTree(sandboxPath(path), { maxDepth: levels });
    const root = sandboxPath(path);
    const metadata = sandbox.data.fileMetadata;
    return json(200, {
      // A symlink's own entry: its target's metadata is not its own.
      entries: await Promise.all(entries.map(async (e) => entryInfo(posix.join(base, posix.relative(root, e.path)), e, e.isSymlink ? undefined : await metadata.read(files, e.path)))),
    });
  });
}

export function removeHandler(state: E2bState): Handler {
  return rpc(state, async (ctx, files) => {
    // Go's os.RemoveAll: a path that is not there is removed already (the SDK's own tests remove one).
    await files.remove(sandboxPath((ctx.body as { path: string }).path), { recursive: true }).catch((error: unknown) => {
      if (!(error instanceof SandboxFileError && error.kind === 'not-found')) throw error;
    });
    return json(200, {});
  });
}

export function moveHandler(state: E2bState): Handler {
  return rpc(state, async (ctx, files, sandbox) => {
    const { source, destination } = ctx.body as { source: string; destination: string };
    await files.move(sandboxPath(source), sandboxPath(destination), { overwrite: true });
    return json(200, { entry: await entryAt(sandbox, files, destination) });
  });
}

/** envd's REST errors: `{ code, message }`, the status again. */
const filesError = (status: number, message: string) => json(status, { code: status, message });

function restError(error: SandboxFileError, path: string): EmuResponse {
  if (error.kind === 'not-found') return filesError(404, `path '${asE2b(path)}' does not exist`);
  return filesError(400, error.message);
}

export function downloadHandler(state: E2bState): Handler {
  return inSandbox(state, async (ctx, sandbox) => {
    const path = ctx.query.get('path') ?? '';
    let opened;
    try {
      opened = await filesOf(sandbox).read(sandboxPath(path));
    } catch (error) {
      if (!(error instanceof SandboxFileError)) throw error;
      return restError(error, path);
    }
    if (opened.stat.isDir) {
      opened.stream.destroy();
      return filesError(400, `path '${asE2b(path)}' is a directory`);
    }
    const { stream, stat } = opened;
    async function* frames(): AsyncGenerator<Frame> {
      try {
        for await (const chunk of stream) {
          if (ctx.signal.aborted) return;
          yield { data: chunk as Buffer };
        }
      } finally {
        stream.destroy();
      }
    }
    return { status: 200, headers: { 'content-type': 'application/octet-stream', 'content-length': String(stat.size) }, body: { kind: 'stream', frames: frames() } };
  }, { files: 'read' });
}

export function uploadHandler(state: E2bState): Handler {
  return inSandbox(state, async (ctx, sandbox) => {
    const files = filesOf(sandbox);
    const queryPath = ctx.query.get('path') ?? undefined;
    // Checked before anything is written; every file of the upload gets the same set.
    const metadata = metadataFromHeaders(ctx.headers);
    const refusal = metadata && metadataRefusal(metadata);
    if (refusal) return filesError(400, `invalid metadata: ${refusal}`);
    const written: Array<{ path: string; name: string; type: 'file'; metadata?: FileMetadata }> = [];
    const write = async (path: string, body: AsyncIterable<Uint8Array>) => {
      await files.write(sandboxPath(path), body, { parents: true });
      // Every upload replaces the file's whole set: one without headers clears it.
      await sandbox.data.fileMetadata.replace(files, sandboxPath(path), metadata);
      const shown = asE2b(path);
      written.push({ path: shown, name: posix.basename(shown), type: 'file', ...(metadata && { metadata }) });
    };
    const encoding = (ctx.headers['content-encoding'] ?? 'identity').trim().toLowerCase();
    if (encoding !== 'identity' && encoding !== 'gzip') return filesError(400, `unsupported Content-Encoding: ${encoding}`);
    // The SDK's `gzip: true` compresses the whole body, a multipart form included.
    const body: AsyncIterable<Uint8Array> = encoding === 'gzip' ? Readable.from(ctx.bodyStream).pipe(createGunzip()) : ctx.bodyStream;
    try {
      const boundary = formBoundary(ctx.headers['content-type']);
      if (boundary) {
        // One `file` part per file; its filename is the path, unless the query names one.
        for await (const part of formParts(body, boundary)) {
          if (part.name !== 'file') continue;
          const path = queryPath ?? part.filename;
          if (!path) return filesError(400, 'a file part needs a path: its filename, or the path query');
          await write(path, part.body);
        }
      } else {
        if (!queryPath) return filesError(400, 'the path query is required for a raw upload');
        await write(queryPath, body);
      }
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code?.startsWith('Z_')) return filesError(400, `error decompressing the body: ${(error as Error).message}`);
      if (error instanceof MultipartError) return filesError(400, `error parsing multipart form: ${error.message}`);
      if (error instanceof SandboxFileError) return restError(error, queryPath ?? error.path);
      throw error;
    }
    return json(200, written);
  }, { files: 'write' });
}
