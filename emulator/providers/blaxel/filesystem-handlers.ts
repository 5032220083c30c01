import { chmod } from 'node:fs/promises';
import { SandboxFileError, type SandboxFiles } from '../../core/sandbox-files.ts';
import type { EmuResponse, Handler, HandlerContext } from '../../kernel/exchange.ts';
import type { Frame } from '../../kernel/frames.ts';
import { formBoundary, formParts, MultipartError } from '../multipart-form.ts';
import { sandboxFor, type BlaxelContext } from './blaxel-context.ts';
import { filesOf, formatPath, goFileError, OUTSIDE_ROOT, parseOctal, printable } from './file-access.ts';
import { childPath, directoryView, downloadType, fileWithContent } from './file-view.ts';
import { GIN_HEADERS, ginError, ginJson } from './gin-response.ts';

/**
 * The JSON form of a file read holds the whole file as one string; past this the emulator
 * refuses it (the bytes form streams any size). Our bound: the server reads any file whole.
 */
export const JSON_READ_MAX_BYTES = 64 * 1024 * 1024;

/** find stops walking after this many entries, so a find over a huge tree cannot run unbounded. */
const FIND_MAX_WALKED = 100_000;

/** Handlers of the filesystem routes of blaxel.yaml (the multipart and watch ones are beside). */
export function filesystemHandlers(bx: BlaxelContext): Record<string, Handler> {
  const open = async (ctx: HandlerContext) => {
    const sandbox = await sandboxFor(bx, ctx);
    return { sandbox, files: filesOf(bx, sandbox), path: formatPath(ctx.params.path ?? '') };
  };

  return {
    getFilesystem: async (ctx) => {
      const { files, path } = await open(ctx);
      const shown = normalized(files, path);
      if (shown instanceof SandboxFileError) return ginError(422, goFileError('stat', path, shown));
      let stat;
      try {
        stat = await files.stat(path);
      } catch (error) {
        if (!(error instanceof SandboxFileError)) throw error;
        if (error.kind === 'not-found') return ginError(404, 'file or directory not found');
        return ginError(422, goFileError('stat', shown, error));
      }
      if (stat.isDir) return listing(files, shown, 'error listing directory');
      if (wantsBytes(ctx)) return download(files, shown, ctx.signal);
      if (stat.size > JSON_READ_MAX_BYTES) {
        return ginError(422, `error reading file: the file is larger than ${JSON_READ_MAX_BYTES} bytes, too large for a JSON answer; read it as application/octet-stream`);
      }
      try {
        const { stream, stat: info } = await files.read(shown);
        const chunks: Buffer[] = [];
        for await (const chunk of stream) chunks.push(chunk as Buffer);
        // Go turns bytes into a string and json.Marshal replaces what is not UTF-8 with U+FFFD.
        return ginJson(200, fileWithContent(info, new TextDecoder().decode(Buffer.concat(chunks))));
      } catch (error) {
        if (!(error instanceof SandboxFileError)) throw error;
        return ginError(422, `error reading file: ${goFileError('open', shown, error)}`);
      }
    },

    putFilesystem: async (ctx) => {
      const { files, path } = await open(ctx);
      const boundary = formBoundary(ctx.headers['content-type']);
      if (/^multipart\/form-data\b/i.test(ctx.headers['content-type'] ?? '')) return writeUpload(files, path, boundary, ctx);
      const request = (ctx.body ?? {}) as { content?: string; isDirectory?: boolean; permissions?: string };
      let mode: number | undefined;
      if (request.permissions) {
        const parsed = parseOctal(request.permissions);
        if ('error' in parsed) return ginError(400, `invalid permissions format '${request.permissions}': ${parsed.error}`);
        mode = parsed.mode;
      }
      if (request.isDirectory) {
        try {
          const existed = await exists(files, path);
          await files.mkdir(path, { recursive: true });
          if (!existed) await chmod(await files.confine(path), mode ?? 0o755);
        } catch (error) {
          if (!(error instanceof SandboxFileError)) throw error;
          return ginError(422, `error creating directory: ${goFileError('mkdir', path, error)}`);
        }
        return ginJson(200, { message: 'Directory created successfully', path: files.normalize(path) });
      }
      const failure = await writeFile(files, path, oneChunk(Buffer.from(request.content ?? '', 'utf8')), mode ?? 0o644);
      if (failure) return ginError(422, `error writing file: ${failure}`);
      return ginJson(200, { message: 'File created/updated successfully', path: files.normalize(path) });
    },

    deleteFilesystem: async (ctx) => {
      const { files, path } = await open(ctx);
      const shown = normalized(files, path);
      if (shown instanceof SandboxFileError) return ginError(422, goFileError('stat', path, shown));
      const recursive = ctx.query.get('recursive') === 'true';
      let stat;
      try {
        stat = await files.stat(shown);
      } catch (error) {
        if (!(error instanceof SandboxFileError)) throw error;
        if (error.kind === 'not-found') return ginError(404, 'file or directory not found');
        // A symlink that points out of the sandbox can still go: removing acts on the link.
        if (error.kind !== 'outside') return ginError(422, goFileError('stat', shown, error));
        return removed(files, shown, false, 'File deleted successfully', 'error deleting file');
      }
      if (stat.isDir) return removed(files, shown, recursive, 'Directory deleted successfully', 'error deleting directory');
      return removed(files, shown, false, 'File deleted successfully', 'error deleting file');
    },

    getFilesystemTree: async (ctx) => {
      const { files, path } = await open(ctx);
      const shown = normalized(files, path);
      if (shown instanceof SandboxFileError) return ginError(422, goFileError('stat', path, shown));
      const dir = await isDirectory(files, shown);
      if (dir instanceof SandboxFileError) return ginError(422, goFileError('stat', shown, dir));
      if (!dir) return ginError(400, 'path is not a directory');
      return listing(files, shown, 'error getting file system tree');
    },

    putFilesystemTree: async (ctx) => {
      const { files, path } = await open(ctx);
      const shown = normalized(files, path);
      if (shown instanceof SandboxFileError) return ginError(422, goFileError('stat', path, shown));
      const request = (ctx.body ?? {}) as { files?: Record<string, string> };
      const dir = await isDirectory(files, shown);
      if (dir instanceof SandboxFileError) return ginError(422, goFileError('stat', shown, dir));
      if (!dir) {
        try {
          await files.mkdir(shown, { recursive: true });
        } catch (error) {
          if (!(error instanceof SandboxFileError)) throw error;
          return ginError(422, `error creating root directory: ${goFileError('mkdir', shown, error)}`);
        }
      }
      for (const [relative, content] of Object.entries(request.files ?? {})) {
        const target = childPath(shown, relative);
        const failure = await writeFile(files, target, oneChunk(Buffer.from(content, 'utf8')), 0o644);
        if (failure) return ginError(422, `error writing file: ${failure}`);
      }
      return listing(files, shown, 'error getting updated file system tree');
    },

    deleteFilesystemTree: async (ctx) => {
      const { files } = await open(ctx);
      // This handler skips FormatPath: the path is used as it came.
      const raw = ctx.params.path ?? '';
      const shown = normalized(files, raw);
      if (shown instanceof SandboxFileError) return ginError(422, `error deleting directory: ${goFileError('stat', raw, shown)}`);
      const dir = await isDirectory(files, shown);
      if (dir instanceof SandboxFileError) return ginError(422, `error deleting directory: ${goFileError('stat', shown, dir)}`);
      if (!dir) {
        const present = await exists(files, shown);
        return ginError(422, `error deleting directory: ${present ? 'path points to a file, not a directory' : `stat ${shown}: no such file or directory`}`);
      }
      const response = await removed(files, shown, ctx.query.get('recursive') === 'true', 'Directory deleted successfully', 'error deleting directory');
      if (response.status !== 200) return response;
      return ginJson(200, { message: 'Directory deleted successfully', path: raw });
    },

    findFilesystem: async (ctx) => {
      const { files, path } = await open(ctx);
      const type = ctx.query.get('type') || 'file';
      if (type !== 'file' && type !== 'directory') return ginError(400, `invalid search type: ${type}`);
      const wanted = Number(ctx.query.get('maxResults'));
      const maxResults = Number.isInteger(wanted) && wanted > 0 ? Math.min(wanted, 1000) : 20;
      const patterns = (ctx.query.get('patterns') ?? '').split(',').map((p) => p.trim()).filter(Boolean).map(globRegExp);
      const excludeHidden = ctx.query.has('excludeHidden') ? ctx.query.get('excludeHidden') === 'true' : true;
      const shown = normalized(files, path);
      if (shown instanceof SandboxFileError) return ginError(400, goFileError('stat', path, shown));
      const root = await isDirectory(files, shown);
      if (root instanceof SandboxFileError) return ginError(root.kind === 'outside' ? 400 : 500, root.kind === 'outside' ? OUTSIDE_ROOT : `error walking directory: ${goFileError('lstat', shown, root)}`);
      if (!root) {
        const present = await exists(files, shown);
        if (!present) return ginError(500, `error walking directory: lstat ${shown}: no such file or directory`);
      }
      const matches: Array<{ path: string; type: string }> = [];
      let walked = 0;
      const consider = (relative: string, name: string, isDir: boolean): boolean => {
        if (excludeHidden && name.startsWith('.')) return false;
        if ((type === 'file') === isDir) return true;
        if (!isDir && patterns.length > 0 && !patterns.some((p) => p.test(name))) return true;
        matches.push({ path: relative, type: isDir ? 'directory' : 'file' });
        return true;
      };
      // filepath.WalkDir: the root first (as `.`), then entries in lexical order, depth first.
      const rootName = shown === '/' ? '/' : shown.slice(shown.lastIndexOf('/') + 1);
      if (consider('.', rootName, root) && root) {
        const walk = async (dir: string, relative: string): Promise<void> => {
          for (const entry of await files.list(dir)) {
            if (++walked > FIND_MAX_WALKED) return;
            const rel = relative ? `${relative}/${entry.name}` : entry.name;
            const isDir = entry.isDir && !entry.isSymlink;
            if (consider(rel, entry.name, isDir) && isDir) await walk(childPath(dir, entry.name), rel);
          }
        };
        try {
          await walk(shown, '');
        } catch (error) {
          if (!(error instanceof SandboxFileError)) throw error;
          return ginError(500, `error walking directory: ${goFileError('open', shown, error)}`);
        }
      }
      const answered = matches.slice(0, maxResults);
      return ginJson(200, { matches: answered, total: answered.length });
    },
  };
}

/** The normalised sandbox path, or the refusal (outside, NUL) as the value. */
function normalized(files: SandboxFiles, path: string): string | SandboxFileError {
  try {
    return files.normalize(path);
  } catch (error) {
    if (error instanceof SandboxFileError) return error;
    throw error;
  }
}

async function isDirectory(files: SandboxFiles, path: string): Promise<boolean | SandboxFileError> {
  try {
    return (await files.stat(path)).isDir;
  } catch (error) {
    if (!(error instanceof SandboxFileError)) throw error;
    if (error.kind === 'not-found') return false;
    return error;
  }
}

async function exists(files: SandboxFiles, path: string): Promise<boolean> {
  try {
    await files.stat(path);
    return true;
  } catch (error) {
    if (error instanceof SandboxFileError && error.kind === 'not-found') return false;
    throw error;
  }
}

async function listing(files: SandboxFiles, path: string, failure: string): Promise<EmuResponse> {
  try {
    return ginJson(200, directoryView(path, await files.list(path)));
  } catch (error) {
    if (!(error instanceof SandboxFileError)) throw error;
    return ginError(422, `${failure}: ${goFileError('open', path, error)}`);
  }
}

async function removed(files: SandboxFiles, path: string, recursive: boolean, message: string, failure: string): Promise<EmuResponse> {
  try {
    await files.remove(path, { recursive });
  } catch (error) {
    if (!(error instanceof SandboxFileError)) throw error;
    return ginError(422, `${failure}: ${goFileError('remove', path, error)}`);
  }
  return ginJson(200, { message, path });
}

/**
 * Writes a whole file (parents made); a new file gets `mode`, an existing one keeps its own.
 * Answers the failure's text, undefined on success.
 */
export async function writeFile(files: SandboxFiles, path: string, source: AsyncIterable<Uint8Array>, mode: number): Promise<string | undefined> {
  try {
    const existed = await exists(files, path).catch(() => true);
    await files.write(path, source, { parents: true });
    if (!existed) await chmod(await files.confine(path), mode);
    return undefined;
  } catch (error) {
    if (!(error instanceof SandboxFileError)) throw error;
    const shown = normalized(files, path);
    return goFileError('open', typeof shown === 'string' ? shown : path, error);
  }
}

/** The multipart form of PUT /filesystem/{path}: the first `file` part with a filename is the file. */
async function writeUpload(files: SandboxFiles, path: string, boundary: string | undefined, ctx: HandlerContext): Promise<EmuResponse> {
  if (!boundary) return ginError(400, 'error reading multipart data: no multipart boundary param in Content-Type');
  let mode = 0o644;
  let wrote = false;
  try {
    for await (const part of formParts(ctx.bodyStream, boundary)) {
      if (part.name === 'permissions' && part.filename === undefined) {
        const text = (await collect(part.body)).toString('utf8').trim();
        if (text) {
          const parsed = parseOctal(text);
          if ('error' in parsed) return ginError(400, `invalid permissions format '${text}': ${parsed.error}`);
          mode = parsed.mode;
        }
      } else if (part.name === 'file' && part.filename && !wrote) {
        const failure = await writeFile(files, path, part.body, mode);
        if (failure) return ginError(422, `error writing binary file: ${failure}`);
        wrote = true;
      }
    }
  } catch (error) {
    if (!(error instanceof MultipartError)) throw error;
    return ginError(400, `error reading multipart part: ${error.message}`);
  }
  if (!wrote) return ginError(400, "missing 'file' field in multipart form");
  return ginJson(200, { message: 'Binary file uploaded successfully', path: files.normalize(path) });
}

/** The bytes form: Accept asks for them (or names no JSON at all), or `?download=true`. */
function wantsBytes(ctx: HandlerContext): boolean {
  const accept = ctx.headers.accept ?? '';
  if (ctx.query.get('download') === 'true') return true;
  if (accept === '') return false;
  if (accept.includes('application/octet-stream')) return true;
  return !accept.includes('application/json') && !accept.includes('*/*');
}

/** The file's bytes, streamed from disk as the client reads them. */
async function download(files: SandboxFiles, path: string, signal: AbortSignal): Promise<EmuResponse> {
  let opened;
  try {
    opened = await files.read(path);
  } catch (error) {
    if (!(error instanceof SandboxFileError)) throw error;
    return ginError(422, `error opening file: ${goFileError('open', path, error)}`);
  }
  const { stream, stat } = opened;
  const name = path.slice(path.lastIndexOf('/') + 1);
  async function* frames(): AsyncGenerator<Frame> {
    try {
      for await (const chunk of stream) {
        if (signal.aborted) return;
        yield { data: chunk as Buffer };
      }
    } finally {
      stream.destroy();
    }
  }
  return {
    status: 200,
    headers: {
      ...GIN_HEADERS,
      'content-type': downloadType(name),
      'content-length': String(stat.size),
      'content-disposition': `attachment; filename="${printable(name)}"`,
    },
    body: { kind: 'stream', frames: frames() },
  };
}

async function* oneChunk(data: Buffer): AsyncGenerator<Uint8Array> {
  if (data.length > 0) yield data;
}

async function collect(source: AsyncIterable<Buffer>, max = 64 * 1024): Promise<Buffer> {
  const pieces: Buffer[] = [];
  let size = 0;
  for await (const piece of source) {
    size += piece.length;
    if (size <= max) pieces.push(piece);
  }
  return Buffer.concat(pieces);
}

/** filepath.Match over a base name: `*`, `?` and `[...]`; anything else literal. */
function globRegExp(pattern: string): RegExp {
  let source = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '*') source += '[^/]*';
    else if (c === '?') source += '[^/]';
    else if (c === '[') {
      const end = pattern.indexOf(']', i + 1);
      if (end === -1) source += '\\[';
      else {
        const body = pattern.slice(i + 1, end).replace(/^\^/, '!');
        source += `[${body.startsWith('!') ? `^${body.slice(1)}` : body}]`.replace(/\\(?!])/g, '\\\\');
        i = end;
      }
    } else source += c.replace(/[.+^${}()|\\]/g, '\\$&');
  }
  return new RegExp(`^${source}$`);
}

