import { SandboxFileError, SandboxFiles } from '../../core/sandbox-files.ts';
import type { BlaxelContext, BlaxelSandbox } from './blaxel-context.ts';

// One SandboxFiles per sandbox (it remembers its folder's real path); gone with the sandbox.
const filesOfSandbox = new WeakMap<BlaxelSandbox, SandboxFiles>();

/**
 * Confined access to the sandbox's folder, its "/" (see core/sandbox-files.ts): the file API
 * and a process's workingDir both go through it, so they see the same folder.
 */
export function filesOf(bx: BlaxelContext, sandbox: BlaxelSandbox): SandboxFiles {
  let files = filesOfSandbox.get(sandbox);
  if (!files) {
    files = new SandboxFiles(sandbox.dir, { maxFileBytes: bx.maxFileBytes });
    filesOfSandbox.set(sandbox, files);
  }
  return files;
}

/** The message the sandbox-api gives for a path outside its root (filesystem.GetAbsolutePath). */
export const OUTSIDE_ROOT = 'path is outside of the root directory';

/**
 * A SandboxFileError in the words the Go server uses after its `error ...: ` prefixes: its own
 * text where it has one (the path outside the root, a file where a directory is wanted), the
 * errno text Go prints otherwise. Never the host path.
 */
export function ginFileReason(error: SandboxFileError): string {
  switch (error.kind) {
    case 'outside':
      return OUTSIDE_ROOT;
    case 'invalid-path':
      // Go refuses a NUL byte in a path with EINVAL; the root refusals have their own text.
      return error.path.includes('\0') ? 'invalid argument' : error.message;
    case 'not-found':
      return 'no such file or directory';
    case 'not-a-directory':
      return 'not a directory';
    case 'is-a-directory':
      return 'is a directory';
    case 'already-exists':
      return 'file exists';
    case 'not-empty':
      return 'directory not empty';
    case 'permission-denied':
      return 'permission denied';
    case 'too-large':
      return error.message;
  }
}
