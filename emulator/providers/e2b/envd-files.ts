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

/** The user a request acts as: `username` on /files, Basic auth (`user:`) on the procedures. */
function userOf(ctx: HandlerContext): string | undefined {
  const query = ctx.query.get('username');
  if (query !== null) return query;
  const basic = /^Basic\s+(\S+)$/i.exec(ctx.headers.authorization ?? '');
  return basic ? Buffer.from(basic[1], 'base64').toString('utf8').split(':')[0] : undefined;
}

/**
 * The path a request names, made absolute as envd makes it: a relative one is below the user's
 * home, /root for root and /home/user for E2B's user (the default). Then sandboxPath places it.
 */
export function requestPath(ctx: HandlerContext, path: string): string {
  if (path.startsWith('/') || path === '') return path;
  return posix.join(userOf(ctx) === 'root' ? '/root' : HOME, path);
}

/** Go's os.FileMode text: the type letter, then rwx thrice. */
function permissions(mode: number, dir: boolean, link: boolean): string {
  const bits = 'rwxrwxrwx'.split('').map((c, i) => (mode & (1 << (8 - i)) ? c : '-')).join('');
  return `${link ? 'L' : dir ? 'd' : '-'}${bits}`;
}

/** A symlink as envd describes it: where it leads, and that place's type and permission bits. */
export interface LinkTarget {
  /** The fully resolved path, as E2B names it. */
  path: string;
  type: 'FILE_TYPE_FILE' | 'FILE_TYPE_DIRECTORY' | 'FILE_TYPE_UNSPECIFIED';
  mode: number;
}

/**
 * An EntryInfo. A symlink's is the link's own name, size and `L` permissions with its target's
 * type and mode, and the target in `symlinkTarget`, as envd's GetEntryInfo builds it.
 * `metadata` is the file's user metadata, left out when it has none (as envd does).
 */
export function entryInfo(path: string, entry: { isDir: boolean; size: number; modifiedMs: number; mode: number }, metadata?: FileMetadata, link?: LinkTarget) {
  const name = posix.basename(path) || '/';
  return {
    name,
    type: link ? link.type : entry.isDir ? 'FILE_TYPE_DIRECTORY' : 'FILE_TYPE_FILE',
    path,
    size: String(entry.size),
    mode: link ? link.mode : entry.mode,
    permissions: permissions(entry.mode, entry.isDir, link !== undefined),
    owner: 'user',
    group: 'user',
    modifiedTime: new Date(entry.modifiedMs).toISOString(),
    ...(link && { symlinkTarget: link.path }),
    ...(metadata && { metadata }),
  };
}

/** The E2B name of a sandbox path as a target: the folder is /home/user. */
const homeName = (path: string) => (path === '/' ? HOME : `${HOME}${path}`);

/**
 * Where the symlink at the sandbox path leads. Go's EvalSymlinks failing (a loop, a link out of
 * the folder) leaves envd the link's own path, and a target it cannot stat an unknown type.
 */
export async function linkTarget(files: SandboxFiles, path: string): Promise<LinkTarget> {
  const resolved = await files.resolve(path).catch(() => undefined);
  const target = resolved === undefined ? undefined : await files.stat(resolved).catch(() => undefined);
  const type = target?.isDir ? 'FILE_TYPE_DIRECTORY' : target?.isFile ? 'FILE_TYPE_FILE' : 'FILE_TYPE_UNSPECIFIED';
  return { path: homeName(resolved ?? files.normalize(path)), type, mode: target?.mode ?? 0 };
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

/** The EntryInfo of what is at the path, a symlink as itself (envd lstats). */
export async function entryAt(sandbox: E2bSandbox, files: SandboxFiles, path: string) {
  const entry = await files.entry(sandboxPath(path));
  const link = entry.isSymlink ? await linkTarget(files, entry.path) : undefined;
  // A symlink shows its target's metadata, as listxattr follows links.
  return entryInfo(asE2b(path), entry, await sandbox.data.fileMetadata.read(files, entry.path), link);
}

export function statHandler(state: E2bState): Handler {
  return rpc(state, async (ctx, files, sandbox) => json(200, { entry: await entryAt(sandbox, files, requestPath(ctx, (ctx.body as { path: string }).path)) }));
}

export function makeDirHandler(state: E2bState): Handler {
  return rpc(state, async (ctx, files, sandbox) => {
    const path = requestPath(ctx, (ctx.body as { path: string }).path);
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
    const { depth } = ctx.body as { path: string; depth?: number };
    const path = requestPath(ctx, (ctx.body as { path: string }).path);
    const base = asE2b(path);
    const levels = Math.max(1, depth ?? 1);
    const stat = await files.stat(sandboxPath(path));
    if (!stat.isDir) return connectError(400, 'invalid_argument', `path is not a directory: ${base}`);
    const { entries } = await files.listTree(sandboxPath(path), { maxDepth: levels });
    const root = sandboxPath(path);
    const metadata = sandbox.data.fileMetadata;
    return json(200, {
      entries: await Promise.all(
        entries.map(async (e) => {
          const shown = posix.join(base, posix.relative(root, e.path));
          return entryInfo(shown, e, await metadata.read(files, e.path), e.isSymlink ? await linkTarget(files, e.path) : undefined);
        }),
      ),
    });
  });
}

export function removeHandler(state: E2bState): Handler {
  return rpc(state, async (ctx, files) => {
    // Go's os.RemoveAll: a path that is not there is removed already (the SDK's own tests remove one).
    await files.remove(sandboxPath(requestPath(ctx, (ctx.body as { path: string }).path)), { recursive: true }).catch((error: unknown) => {
      if (!(error instanceof SandboxFileError && error.kind === 'not-found')) throw error;
    });
    return json(200, {});
  });
}

export function moveHandler(state: E2bState): Handler {
  return rpc(state, async (ctx, files, sandbox) => {
    const body = ctx.body as { source: string; destination: string };
    const [source, destination] = [requestPath(ctx, body.source), requestPath(ctx, body.destination)];
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
    const path = requestPath(ctx, ctx.query.get('path') ?? '');
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
    const write = async (named: string, body: AsyncIterable<Uint8Array>) => {
      const path = requestPath(ctx, named);
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
