import { DEFAULT_MAX_FILE_BYTES } from '../../core/sandbox-files.ts';
import type { Readable } from 'node:stream';
import type { Frame } from '../../kernel/frames.ts';
import type { Handler, HandlerContext } from '../../kernel/exchange.ts';
import { empty, json, stream } from '../respond.ts';
import { errorResponse } from './error-response.ts';
import { fileErrorResponse, filesOf, traversalRefusal } from './file-access.ts';
import { runtimeSandbox, type TensorlakeState } from './tensorlake-state.ts';

/**
 * The runtime API's files: read, write, delete, list, inside the sandbox's folder. Bytes are
 * streamed both ways: a GiB upload or download never sits in memory.
 */
export function fileHandlers(state: TensorlakeState): Record<string, Handler> {
  const limit = state.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES;
  const withFiles = async (ctx: HandlerContext, act: (path: string, files: ReturnType<typeof filesOf>) => Promise<ReturnType<Handler>>) => {
    const path = ctx.query.get('path') ?? '';
    const refused = traversalRefusal(path);
    if (refused) return refused;
    const files = filesOf(await runtimeSandbox(state, ctx.vars), limit);
    try {
      return await act(path, files);
    } catch (error) {
      return fileErrorResponse(error, path, limit);
    }
  };
  return {
    sandbox_file_read: (ctx) =>
      withFiles(ctx, async (path, files) => {
        // A directory is refused by read itself (IS_DIRECTORY); the size is that of the file opened.
        const { stream: bytes, stat } = await files.read(path);
        return stream(200, 'application/octet-stream', chunks(bytes, stat.size), { 'content-length': String(stat.size) });
      }),

    sandbox_file_write: (ctx) =>
      withFiles(ctx, async (path, files) => {
        // Refused before a byte is read when the length says it will not fit.
        const announced = Number(ctx.headers['content-length']);
        if (Number.isFinite(announced) && announced > limit) return errorResponse(413, `File too large: ${path} is over ${limit} bytes`, 'FILE_TOO_LARGE');
        await files.write(path, ctx.bodyStream, { parents: true });
        return empty(204);
      }),

    sandbox_file_delete: (ctx) =>
      withFiles(ctx, async (path, files) => {
        const info = await files.stat(path).catch(() => undefined);
        // A directory is refused; a symlink (even one to a directory) is removed as itself.
        if (info?.isDir && !(await isSymlink(files, path))) {
          return errorResponse(400, `Path is a directory, not a file: ${path}. Use /api/v1/files/list to list directory contents.`, 'IS_DIRECTORY');
        }
        await files.remove(path);
        return empty(204);
      }),

    sandbox_file_list: (ctx) =>
      withFiles(ctx, async (path, files) => {
        const entries = await files.list(path);
        // As the old daemon: directories first, then by name; no size for a directory.
        const sorted = [...entries.filter((e) => e.isDir), ...entries.filter((e) => !e.isDir)];
        return json(200, {
          path,
          entries: sorted.map((e) => (e.isDir ? { name: e.name, is_dir: true, modified_at: e.modifiedMs } : { name: e.name, is_dir: false, size: e.size, modified_at: e.modifiedMs })),
        });
      }),
  };
}

async function isSymlink(files: ReturnType<typeof filesOf>, path: string): Promise<boolean> {
  const normal = files.normalize(path);
  const parent = normal.slice(0, normal.lastIndexOf('/')) || '/';
  const name = normal.slice(normal.lastIndexOf('/') + 1);
  return (await files.list(parent)).some((e) => e.name === name && e.isSymlink);
}

/**
 * The file's chunks as stream frames (bytes only: nothing for the validator to check per frame),
 * no more than the length announced, should the file grow while it is read.
 */
async function* chunks(bytes: Readable, size: number): AsyncGenerator<Frame> {
  let left = size;
  try {
    for await (const chunk of bytes) {
      const data = chunk as Buffer;
      if (data.length >= left) {
        if (left > 0) yield { data: data.subarray(0, left) };
        return;
      }
      left -= data.length;
      yield { data };
    }
  } finally {
    bytes.destroy();
  }
}
