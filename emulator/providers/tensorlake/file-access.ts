import { SandboxFileError, SandboxFiles } from '../../core/sandbox-files.ts';
import type { EmuResponse } from '../../kernel/exchange.ts';
import { errorResponse } from './error-response.ts';
import type { TensorlakeSandbox } from './tensorlake-state.ts';

// One SandboxFiles per sandbox (it remembers its folder's real path); gone with the sandbox.
const filesOfSandbox = new WeakMap<TensorlakeSandbox, SandboxFiles>();

/** Confined file access in the sandbox's folder, its "/" (see core/sandbox-files.ts). */
export function filesOf(sandbox: TensorlakeSandbox, maxFileBytes: number | undefined): SandboxFiles {
  let files = filesOfSandbox.get(sandbox);
  if (!files) {
    files = new SandboxFiles(sandbox.dir, { maxFileBytes });
    filesOfSandbox.set(sandbox, files);
  }
  return files;
}

/**
 * The old daemon refused any `..` segment, even one that stays inside, before touching the
 * disk: so does this, with its 403 and message.
 */
export function traversalRefusal(path: string): EmuResponse | undefined {
  return path.split('/').includes('..') ? pathTraversal() : undefined;
}

function pathTraversal(): EmuResponse {
  return errorResponse(403, "Path traversal detected: '..' is not allowed", 'PATH_TRAVERSAL');
}

/**
 * A SandboxFileError as the daemon words it: its messages, statuses and codes where the
 * reference gives them (404 NOT_FOUND, 403 PATH_TRAVERSAL, 400 IS_DIRECTORY / NOT_A_DIRECTORY),
 * our own where it is silent (see the document). The path shown is the sandbox's, never the
 * host folder. Anything else is rethrown: the pipeline answers it with the dialect's 500.
 */
export function fileErrorResponse(error: unknown, path: string, maxFileBytes: number): EmuResponse {
  if (!(error instanceof SandboxFileError)) throw error;
  switch (error.kind) {
    case 'outside':
      return pathTraversal();
    case 'not-found':
      return errorResponse(404, `File not found: ${path}`, 'NOT_FOUND');
    case 'is-a-directory':
      return errorResponse(400, `Path is a directory, not a file: ${path}. Use /api/v1/files/list to list directory contents.`, 'IS_DIRECTORY');
    case 'not-a-directory':
      return errorResponse(400, `Path is not a directory: ${path}`, 'NOT_A_DIRECTORY');
    case 'too-large':
      return errorResponse(413, `File too large: ${path} is over ${maxFileBytes} bytes`, 'FILE_TOO_LARGE');
    case 'invalid-path':
    case 'name-too-long':
      return errorResponse(400, error.message, 'INVALID_PATH');
    default:
      throw error;
  }
}
