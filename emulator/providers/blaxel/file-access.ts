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
    case 'name-too-long':
      return 'file name too long';
    case 'too-large':
      return error.message;
  }
}

/**
 * lib.FormatPath: '' is `/`, a leading `/` is added, `~` is HOME. HOME is the sandbox's folder,
 * its `/`, so `~/x` is `/x`.
 */
export function formatPath(path: string): string {
  let out = path === '' ? '/' : path;
  if (!out.startsWith('/')) out = `/${out}`;
  if (out.startsWith('//')) out = out.slice(1);
  if (out === '/~' || out.startsWith('/~/')) out = out.slice(2) || '/';
  return out;
}

/**
 * A failed file call as Go's *PathError prints it: `<op> <path>: <errno text>`, or the
 * server's own text for a path outside the root (which Go builds before any call).
 */
export function goFileError(op: string, path: string, error: SandboxFileError): string {
  if (error.kind === 'outside') return OUTSIDE_ROOT;
  if (error.kind === 'too-large') return error.message;
  return `${op} ${printable(path)}: ${ginFileReason(error)}`;
}

/** A path shown in a message: control characters escaped (a NUL byte is `\u0000`). */
export function printable(path: string): string {
  return JSON.stringify(path).slice(1, -1);
}

/** Parses an octal mode as strconv.ParseUint(s, 8, 32); the error is Go's text. */
export function parseOctal(text: string): { mode: number } | { error: string } {
  if (/^[0-7]+$/.test(text)) {
    const mode = parseInt(text, 8);
    if (mode <= 0xffffffff) return { mode };
    return { error: `strconv.ParseUint: parsing ${JSON.stringify(text)}: value out of range` };
  }
  return { error: `strconv.ParseUint: parsing ${JSON.stringify(text)}: invalid syntax` };
}
