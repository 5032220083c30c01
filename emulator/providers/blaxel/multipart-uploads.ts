import { createHash, randomUUID } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, open, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { SandboxFileError } from '../../core/sandbox-files.ts';
import type { Handler } from '../../kernel/exchange.ts';
import { formBoundary, formParts, MultipartError } from '../multipart-form.ts';
import { sandboxFor, type BlaxelContext, type BlaxelSandbox } from './blaxel-context.ts';
import { filesOf, formatPath, goFileError, OUTSIDE_ROOT, parseOctal } from './file-access.ts';
import { writeFile } from './filesystem-handlers.ts';
import { ginError, ginJson } from './gin-response.ts';

interface StoredPart {
  partNumber: number;
  etag: string;
  size: number;
  uploadedAt: string;
  file: string;
}

interface Upload {
  uploadId: string;
  /** The file's sandbox path. */
  path: string;
  permissions: number;
  initiatedAt: string;
  /** Where the parts wait: beside the sandbox's folder, never in it. */
  dir: string;
  parts: Map<number, StoredPart>;
}

const uploadsOf = new WeakMap<BlaxelSandbox, Map<string, Upload>>();

function uploads(sandbox: BlaxelSandbox): Map<string, Upload> {
  let map = uploadsOf.get(sandbox);
  if (!map) uploadsOf.set(sandbox, (map = new Map()));
  return map;
}

/** The folder that holds a sandbox's upload parts; removed with the sandbox (see dropUploads). */
function uploadsDir(sandbox: BlaxelSandbox): string {
  return `${sandbox.dir}.uploads`;
}

/** Removes every upload in progress of a sandbox that is going away, parts and all. */
export async function dropUploads(sandbox: BlaxelSandbox): Promise<void> {
  uploadsOf.delete(sandbox);
  await rm(uploadsDir(sandbox), { recursive: true, force: true });
}

/** The /filesystem-multipart routes: what `fs.write`/`writeBinary` use for files over 5 MiB. */
export function multipartHandlers(bx: BlaxelContext): Record<string, Handler> {
  return {
    initiateMultipartUpload: async (ctx) => {
      const sandbox = await sandboxFor(bx, ctx);
      const files = filesOf(bx, sandbox);
      const path = formatPath(ctx.params.path ?? '');
      let normal: string;
      try {
        normal = files.normalize(path);
        await files.confine(normal);
      } catch (error) {
        if (!(error instanceof SandboxFileError)) throw error;
        return ginError(400, error.kind === 'outside' ? OUTSIDE_ROOT : goFileError('stat', path, error));
      }
      const request = (ctx.body ?? {}) as { permissions?: string };
      let permissions = 0o644;
      if (request.permissions) {
        const parsed = parseOctal(request.permissions);
        if ('error' in parsed) return ginError(400, `invalid permissions format: ${parsed.error}`);
        permissions = parsed.mode;
      }
      const uploadId = randomUUID();
      const dir = join(uploadsDir(sandbox), uploadId);
      await mkdir(dir, { recursive: true });
      uploads(sandbox).set(uploadId, { uploadId, path: normal, permissions, initiatedAt: new Date(bx.now()).toISOString(), dir, parts: new Map() });
      return ginJson(200, { uploadId, path: normal });
    },

    uploadMultipartPart: async (ctx) => {
      const sandbox = await sandboxFor(bx, ctx);
      const uploadId = ctx.params.uploadId;
      const partNumber = Number(ctx.query.get('partNumber'));
      if (!Number.isInteger(partNumber) || partNumber < 1 || partNumber > 10_000) {
        return ginError(400, `invalid partNumber: ${ctx.query.get('partNumber')} is not a part number from 1 to 10000`);
      }
      const upload = uploads(sandbox).get(uploadId);
      if (!upload) return ginError(500, `failed to upload part: upload not found: ${uploadId}`);
      const boundary = formBoundary(ctx.headers['content-type']);
      if (!boundary) return ginError(400, "error reading multipart data: request Content-Type isn't multipart/form-data");
      const limit = filesOf(bx, sandbox).maxFileBytes;
      let stored: StoredPart | undefined;
      try {
        for await (const part of formParts(ctx.bodyStream, boundary)) {
          if (part.name !== 'file' || stored) continue;
          const result = await storePart(upload, partNumber, part.body, limit, bx.now());
          if (typeof result === 'string') return ginError(500, `failed to upload part: ${result}`);
          stored = result;
        }
      } catch (error) {
        if (!(error instanceof MultipartError)) throw error;
        return ginError(400, `error reading multipart part: ${error.message}`);
      }
      if (!stored) return ginError(400, "missing 'file' field in multipart form");
      return ginJson(200, { partNumber: stored.partNumber, etag: stored.etag, size: stored.size });
    },

    completeMultipartUpload: async (ctx) => {
      const sandbox = await sandboxFor(bx, ctx);
      const uploadId = ctx.params.uploadId;
      const request = (ctx.body ?? {}) as { parts?: Array<{ partNumber?: number; etag?: string }> };
      const wanted = request.parts ?? [];
      if (wanted.length === 0) return ginError(400, 'at least one part is required');
      const upload = uploads(sandbox).get(uploadId);
      if (!upload) return ginError(404, `upload not found: ${uploadId}`);
      const chosen: StoredPart[] = [];
      for (const { partNumber, etag } of wanted) {
        const part = upload.parts.get(partNumber ?? 0);
        if (!part) return ginError(500, `failed to complete upload: part ${partNumber} not found`);
        if (etag && etag !== part.etag) return ginError(500, `failed to complete upload: etag mismatch for part ${partNumber}`);
        chosen.push(part);
      }
      const files = filesOf(bx, sandbox);
      const failure = await writeFile(files, upload.path, concatenated(chosen), upload.permissions);
      if (failure) return ginError(500, `failed to complete upload: ${failure}`);
      uploads(sandbox).delete(uploadId);
      await rm(upload.dir, { recursive: true, force: true });
      return ginJson(200, { message: 'Multipart upload completed successfully', path: upload.path });
    },

    abortMultipartUpload: async (ctx) => {
      const sandbox = await sandboxFor(bx, ctx);
      const upload = uploads(sandbox).get(ctx.params.uploadId);
      if (!upload) return ginError(404, `upload not found: ${ctx.params.uploadId}`);
      uploads(sandbox).delete(upload.uploadId);
      await rm(upload.dir, { recursive: true, force: true });
      return ginJson(200, { message: 'Multipart upload aborted successfully' });
    },

    listMultipartParts: async (ctx) => {
      const sandbox = await sandboxFor(bx, ctx);
      const upload = uploads(sandbox).get(ctx.params.uploadId);
      if (!upload) return ginError(404, `upload not found: ${ctx.params.uploadId}`);
      return ginJson(200, { uploadId: upload.uploadId, parts: [...upload.parts.values()].sort((a, b) => a.partNumber - b.partNumber).map(partView) });
    },

    listMultipartUploads: async (ctx) => {
      const sandbox = await sandboxFor(bx, ctx);
      return ginJson(200, {
        uploads: [...uploads(sandbox).values()].map((u) => ({
          uploadId: u.uploadId,
          path: u.path,
          permissions: u.permissions,
          initiatedAt: u.initiatedAt,
          parts: Object.fromEntries([...u.parts.values()].map((p) => [String(p.partNumber), partView(p)])),
        })),
      });
    },
  };
}

function partView(part: StoredPart): Omit<StoredPart, 'file'> {
  return { partNumber: part.partNumber, etag: part.etag, size: part.size, uploadedAt: part.uploadedAt };
}

/**
 * Streams a part to its own file, hashing as it goes; a part sent again replaces the old one
 * once complete. Answers the failure's text instead when it is too large or cannot be stored.
 */
async function storePart(upload: Upload, partNumber: number, body: AsyncIterable<Buffer>, limit: number, now: number): Promise<StoredPart | string> {
  const file = join(upload.dir, `part-${partNumber}`);
  const temp = `${file}.${randomUUID()}.tmp`;
  const hash = createHash('md5');
  let size = 0;
  const handle = await open(temp, 'wx');
  try {
    try {
      for await (const chunk of body) {
        size += chunk.length;
        if (size > limit) return `the part is larger than ${limit} bytes (maxFileBytes)`;
        hash.update(chunk);
        let offset = 0;
        while (offset < chunk.length) offset += (await handle.write(chunk, offset)).bytesWritten;
      }
    } finally {
      await handle.close();
    }
    await rename(temp, file);
  } finally {
    await rm(temp, { force: true });
  }
  const part = { partNumber, etag: hash.digest('hex'), size, uploadedAt: new Date(now).toISOString(), file };
  upload.parts.set(partNumber, part);
  return part;
}

async function* concatenated(parts: StoredPart[]): AsyncGenerator<Uint8Array> {
  for (const part of parts) {
    const stream = createReadStream(part.file);
    try {
      for await (const chunk of stream) yield chunk as Buffer;
    } finally {
      stream.destroy();
    }
  }
}
