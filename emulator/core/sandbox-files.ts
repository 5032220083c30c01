import { constants, type Stats } from 'node:fs';
import { chmod, cp, lstat, mkdir, open, readdir, readlink, realpath, rename, rm, rmdir, stat, unlink } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { basename, dirname, join, relative, resolve, sep } from 'node:path';
import type { Readable } from 'node:stream';
import { noteReplaced } from './replaced-files.ts';

/**
 * Confined file access inside one sandbox's folder, for every provider's file API.
 *
 * The folder is the sandbox's "/": `/app/x.txt` and `app/x.txt` both name `<folder>/app/x.txt`.
 * A path may never reach outside the folder: not by `..`, not through a symlink that is already
 * in the folder (a final one, or a directory on the way), not by a NUL byte. Refusals and the
 * usual file-system failures are SandboxFileError with a `kind`, so that each provider can map
 * them to its own envelope and status without reading errno codes.
 *
 * What this does not defend against: a process running in the sandbox runs as the emulator's
 * own user and can reach the whole host anyway, so a race it wins (see `confine`) gives it
 * nothing it did not have. The check is about paths sent over the API.
 */

export type SandboxFileErrorKind =
  | 'outside' // the path leads out of the sandbox's folder
  | 'invalid-path' // a NUL byte, the root where the root cannot be used, a move into itself
  | 'not-found'
  | 'not-a-directory'
  | 'is-a-directory'
  | 'already-exists'
  | 'not-empty'
  | 'permission-denied'
  | 'name-too-long'
  | 'too-large';

export class SandboxFileError extends Error {
  constructor(
    readonly kind: SandboxFileErrorKind,
    /** The sandbox path the caller gave, as given. */
    readonly path: string,
    message: string,
  ) {
    super(message);
    this.name = 'SandboxFileError';
  }
}

export class PathOutsideSandboxError extends SandboxFileError {
  constructor(path: string) {
    super('outside', path, `Failed to use path '${printable(path)}': it leads outside the sandbox. Use a path inside the sandbox's own file system.`);
    this.name = 'PathOutsideSandboxError';
  }
}

export class FileTooLargeError extends SandboxFileError {
  constructor(
    path: string,
    readonly limit: number,
  ) {
    super('too-large', path, `Failed to write '${printable(path)}': the file is larger than ${limit} bytes. Write a smaller file, or raise the limit (maxFileBytes).`);
    this.name = 'FileTooLargeError';
  }
}

/**
 * Default for `maxFileBytes`: 1 GiB. Large enough for real artifacts (a model shard, a data
 * set, a build), small enough that one runaway upload cannot fill the host's disk unnoticed.
 */
export const DEFAULT_MAX_FILE_BYTES = 1024 ** 3;

/** Default for `maxTreeEntries`: a tree listing stops after this many entries (and says so). */
export const DEFAULT_MAX_TREE_ENTRIES = 10_000;

export interface SandboxFilesOptions {
  /** Largest file `write` accepts, in bytes. Default DEFAULT_MAX_FILE_BYTES (1 GiB). */
  maxFileBytes?: number;
  /** Most entries `listTree` returns. Default DEFAULT_MAX_TREE_ENTRIES (10 000). */
  maxTreeEntries?: number;
}

export interface FileStat {
  /** The normalised sandbox path (`/a/b`). */
  path: string;
  isDir: boolean;
  isFile: boolean;
  size: number;
  /** Last modification, ms since the epoch. */
  modifiedMs: number;
  /** Permission bits (`mode & 0o7777`). */
  mode: number;
}

export interface DirEntry {
  name: string;
  isDir: boolean;
  /** A symlink is listed as itself (never followed: its target may be outside). */
  isSymlink: boolean;
  size: number;
  modifiedMs: number;
  mode: number;
}

export interface TreeEntry extends DirEntry {
  /** Sandbox path of the entry. */
  path: string;
}

export interface ReadResult {
  stream: Readable;
  stat: FileStat;
}

const MAX_LINK_HOPS = 40; // as the kernel's own ELOOP limit

export class SandboxFiles {
  private realRoot: Promise<string> | undefined;
  readonly maxFileBytes: number;
  readonly maxTreeEntries: number;

  constructor(
    /** The sandbox's folder: its "/". */
    readonly root: string,
    options: SandboxFilesOptions = {},
  ) {
    this.maxFileBytes = options.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES;
    this.maxTreeEntries = options.maxTreeEntries ?? DEFAULT_MAX_TREE_ENTRIES;
  }

  /**
   * The normalised sandbox path: absolute, no `.`, `..` or repeated slashes. Purely lexical;
   * refuses a NUL byte and a `..` that climbs above "/". No decoding: `%2e%2e` is a name.
   */
  normalize(path: string): string {
    return '/' + segments(path).join('/');
  }

  async stat(path: string): Promise<FileStat> {
    const host = await this.confine(path, 'follow');
    return toStat(this.normalize(path), await fsCall(path, () => stat(host)));
  }

  /** The entry at the path itself: a symlink as the link (lstat), never followed. */
  async entry(path: string): Promise<TreeEntry> {
    const parts = segments(path);
    const host = await this.confine(path, 'parent');
    const entry = describe(parts.at(-1) ?? '/', await fsCall(path, () => lstat(host)));
    return { ...entry!, path: this.normalize(path) };
  }

  /**
   * Where the path leads once every symlink on it is followed, as a sandbox path; refused as
   * outside when a link leads out of the sandbox's folder. The end need not exist.
   */
  async resolve(path: string): Promise<string> {
    const [host, root] = await Promise.all([this.confine(path, 'follow'), this.rootReal(path)]);
    return '/' + relative(root, host).split(sep).filter(Boolean).join('/');
  }

  /**
   * What names the file itself rather than its path: its device, inode and birth time. A rename
   * (by the file API or a process's `mv`) keeps it; a copy, or a write (which puts a new file in
   * place), does not; an inode number used again after a delete comes with another birth time.
   * For what a provider keeps about a file as the file's own, as a filesystem keeps xattrs.
   */
  async identity(path: string): Promise<string> {
    const host = await this.confine(path, 'follow');
    const info = await fsCall(path, () => stat(host, { bigint: true }));
    return `${info.dev}:${info.ino}:${info.birthtimeNs}`;
  }

  /**
   * A stream of the file's bytes (never read whole into memory); `start` and `end` are byte
   * offsets, both inclusive, as fs.createReadStream takes them.
   */
  async read(path: string, range: { start?: number; end?: number } = {}): Promise<ReadResult> {
    const host = await this.confine(path, 'follow');
    // O_NOFOLLOW: the path was resolved just above, so a final symlink now means one was put
    // there since; refuse it rather than follow it out.
    const handle = await fsCall(path, () => open(host, constants.O_RDONLY | constants.O_NOFOLLOW));
    try {
      const info = await handle.stat();
      if (info.isDirectory()) throw new SandboxFileError('is-a-directory', path, `Failed to read '${printable(path)}': it is a directory. Read a file, or list the directory.`);
      const stream = handle.createReadStream({ start: range.start, end: range.end });
      return { stream, stat: toStat(this.normalize(path), info) };
    } catch (error) {
      await handle.close();
      throw error;
    }
  }

  /**
   * Writes the file from a stream of chunks, replacing it whole: the bytes go to a temporary
   * file beside it, renamed into place once complete, so a failed or too-large write leaves the
   * old file (or no file) and no partial one. Past `maxFileBytes` it fails with
   * FileTooLargeError. The source is iterated with `for await` and not otherwise touched:
   * to keep a request readable after a refusal, pass `req.iterator({ destroyOnReturn: false })`.
   */
  async write(
    path: string,
    source: AsyncIterable<Uint8Array>,
    options: { parents?: boolean; maxFileBytes?: number } = {},
  ): Promise<{ bytes: number }> {
    const limit = options.maxFileBytes ?? this.maxFileBytes;
    const name = segments(path);
    if (name.length === 0) throw isDirectory(path, 'write');
    const host = await this.confine(path, 'follow');
    const existing = await lstat(host).catch(() => undefined);
    if (existing?.isDirectory()) throw isDirectory(path, 'write');
    if (options.parents) {
      try {
        await mkdir(dirname(host), { recursive: true });
      } catch (error) {
        // EEXIST from mkdir -p: a file stands where a parent directory should be.
        const code = (error as NodeJS.ErrnoException).code;
        if (code === 'EEXIST' || code === 'ENOTDIR') throw new SandboxFileError('not-a-directory', path, `Failed to write '${printable(path)}': a part of the path is a file, not a directory. Check the path.`);
        throw mapFsError(path, error);
      }
      // mkdir -p walked the parent path again: check nothing there was swapped for a link.
      await this.confine(path, 'follow');
    }
    const temp = join(dirname(host), `.${basename(host).slice(0, 100)}.${randomBytes(6).toString('hex')}.part`);
    const handle = await fsCall(path, () => open(temp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o666));
    let bytes = 0;
    try {
      try {
        for await (const chunk of source) {
          bytes += chunk.byteLength;
          if (bytes > limit) throw new FileTooLargeError(path, limit);
          let offset = 0;
          while (offset < chunk.byteLength) offset += (await handle.write(chunk, offset)).bytesWritten;
        }
      } finally {
        await handle.close();
      }
      // Keep an existing file's permissions (an overwritten script stays executable).
      if (existing?.isFile()) await chmod(temp, existing.mode & 0o7777);
      noteReplaced(host, existing !== undefined);
      await fsCall(path, () => rename(temp, host));
    } catch (error) {
      await rm(temp, { force: true });
      throw error;
    }
    return { bytes };
  }

  async mkdir(path: string, options: { recursive?: boolean } = {}): Promise<void> {
    const host = await this.confine(path, 'follow');
    await fsCall(path, () => mkdir(host, { recursive: options.recursive ?? false }));
  }

  /** The directory's entries, sorted by name. */
  async list(path: string): Promise<DirEntry[]> {
    const host = await this.confine(path, 'follow');
    const names = await fsCall(path, () => readdir(host));
    const entries = await Promise.all(names.map(async (name) => describe(name, await lstat(join(host, name)).catch(() => undefined))));
    return entries.filter((e): e is DirEntry => e !== undefined).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  /**
   * Every entry below the directory, depth first, at most `maxEntries` (default
   * `maxTreeEntries`) and `maxDepth` levels (default unbounded); `truncated` says a bound was
   * hit. Symlinked directories are listed, not entered.
   */
  async listTree(path: string, options: { maxEntries?: number; maxDepth?: number } = {}): Promise<{ entries: TreeEntry[]; truncated: boolean }> {
    const maxEntries = options.maxEntries ?? this.maxTreeEntries;
    const maxDepth = options.maxDepth ?? Infinity;
    const base = this.normalize(path);
    const entries: TreeEntry[] = [];
    let truncated = false;
    const walk = async (sandboxDir: string, depth: number): Promise<void> => {
      for (const entry of await this.list(sandboxDir)) {
        if (entries.length >= maxEntries) {
          truncated = true;
          return;
        }
        const child = sandboxDir === '/' ? `/${entry.name}` : `${sandboxDir}/${entry.name}`;
        entries.push({ ...entry, path: child });
        if (entry.isDir && !entry.isSymlink) {
          if (depth + 1 >= maxDepth) truncated = true;
          else await walk(child, depth + 1);
        }
      }
    };
    await walk(base, 0);
    return { entries, truncated };
  }

  /** Removes a file, a symlink (itself, not its target) or, with `recursive`, a directory. */
  async remove(path: string, options: { recursive?: boolean } = {}): Promise<void> {
    if (segments(path).length === 0) throw rootRefused(path, 'remove');
    const host = await this.confine(path, 'parent');
    const info = await fsCall(path, () => lstat(host));
    if (!info.isDirectory()) await fsCall(path, () => unlink(host));
    // fs.rm removes symlinks inside the tree as links: it never follows one out.
    else if (options.recursive) await fsCall(path, () => rm(host, { recursive: true, force: false }));
    else await fsCall(path, () => rmdir(host));
  }

  /**
   * Copies a file, or with `recursive` a directory. Symlinks inside a copied directory are
   * copied as links with their target text unchanged (never followed, never rewritten).
   */
  async copy(from: string, to: string, options: { recursive?: boolean; overwrite?: boolean } = {}): Promise<void> {
    if (segments(to).length === 0) throw rootRefused(to, 'copy onto');
    const source = await this.confine(from, 'follow');
    const target = await this.confine(to, 'parent');
    const info = await fsCall(from, () => stat(source));
    if (info.isDirectory() && !options.recursive) throw isDirectory(from, 'copy');
    if (info.isDirectory() && isWithin(target, source)) throw new SandboxFileError('invalid-path', to, `Failed to copy '${printable(from)}' into itself ('${printable(to)}'). Copy it somewhere outside the directory.`);
    if (!options.overwrite && (await lstat(target).catch(() => undefined))) throw exists(to);
    await fsCall(to, () =>
      cp(source, target, { recursive: true, force: options.overwrite ?? false, errorOnExist: true, dereference: false, verbatimSymlinks: true }),
    );
  }

  /** Moves (renames) a file, symlink or directory. An existing target is kept unless `overwrite`. */
  async move(from: string, to: string, options: { overwrite?: boolean } = {}): Promise<void> {
    if (segments(from).length === 0) throw rootRefused(from, 'move');
    if (segments(to).length === 0) throw rootRefused(to, 'move onto');
    const source = await this.confine(from, 'parent');
    const target = await this.confine(to, 'parent');
    await fsCall(from, () => lstat(source));
    if (!options.overwrite && (await lstat(target).catch(() => undefined))) throw exists(to);
    try {
      await rename(source, target);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EINVAL') throw new SandboxFileError('invalid-path', to, `Failed to move '${printable(from)}' into itself ('${printable(to)}'). Move it somewhere outside the directory.`);
      throw mapFsError(to, error);
    }
  }

  /**
   * The host path for a sandbox path, checked to be inside the folder. 'follow' resolves
   * every symlink, the final one too (for reading, writing, listing: the operation would follow
   * it); 'parent' resolves the parent and keeps the final name as it is (for remove and move,
   * which act on a link itself). Missing parts are fine: they cannot be links yet.
   *
   * The remaining race: between this check and the operation, something that can write in the
   * folder could swap a checked directory for a symlink. Node has no openat2(RESOLVE_BENEATH)
   * to close it. The final component is covered by O_NOFOLLOW where a file is opened; a swapped
   * intermediate directory is not. Only a process inside the sandbox can do that swap, and it
   * runs as the emulator's user with the host in reach anyway (see the module comment).
   */
  async confine(path: string, mode: 'follow' | 'parent' = 'follow'): Promise<string> {
    const parts = segments(path);
    const root = await this.rootReal(path);
    if (mode === 'parent' && parts.length > 0) {
      const parent = await realInside(root, join(root, ...parts.slice(0, -1)), path);
      return join(parent, parts[parts.length - 1]);
    }
    return realInside(root, join(root, ...parts), path);
  }

  private rootReal(path: string): Promise<string> {
    // realpath once: the folder itself may sit under a symlink (macOS's /tmp -> /private/tmp),
    // and every check compares resolved paths.
    this.realRoot ??= realpath(this.root);
    return this.realRoot.catch((error) => {
      this.realRoot = undefined;
      throw mapFsError(path, error);
    });
  }
}

/** The path's segments under the sandbox's "/", `.` and `..` applied; throws on a climb out. */
function segments(path: string): string[] {
  if (path.includes('\0')) throw new SandboxFileError('invalid-path', path, `Failed to use path '${printable(path)}': it contains a NUL byte. Send a path without one.`);
  const out: string[] = [];
  for (const part of path.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') {
      if (out.length === 0) throw new PathOutsideSandboxError(path);
      out.pop();
    } else out.push(part);
  }
  return out;
}

/**
 * Resolves `host` as realpath would, also when its tail does not exist: the deepest existing
 * ancestor is resolved, a dangling symlink on the way is followed by its text, and the result
 * must lie inside `root` (itself resolved).
 */
async function realInside(root: string, host: string, path: string, hops = 0): Promise<string> {
  const tail: string[] = [];
  let current = host;
  for (;;) {
    let real: string | undefined;
    try {
      real = await realpath(current);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ELOOP') throw new PathOutsideSandboxError(path);
      if (code !== 'ENOENT' && code !== 'ENOTDIR') throw mapFsError(path, error);
    }
    if (real !== undefined) {
      const full = join(real, ...tail);
      if (!isWithin(full, root)) throw new PathOutsideSandboxError(path);
      return full;
    }
    // Not resolvable: a dangling symlink (follow its text), or simply missing (go up).
    const link = await lstat(current).then(
      (info) => (info.isSymbolicLink() ? readlink(current) : undefined),
      () => undefined,
    );
    if (link !== undefined) {
      if (hops >= MAX_LINK_HOPS) throw new PathOutsideSandboxError(path);
      return realInside(root, join(resolve(dirname(current), link), ...tail), path, hops + 1);
    }
    // The root itself did not resolve: the sandbox's folder is gone (the sandbox was deleted).
    if (current === root) throw new SandboxFileError('not-found', path, `Failed to use '${printable(path)}': the sandbox's folder is gone. Use a sandbox that exists.`);
    // Cannot happen with segments() (the lexical path stays under root); kept as a guard.
    if (!isWithin(current, root)) throw new PathOutsideSandboxError(path);
    tail.unshift(basename(current));
    current = dirname(current);
  }
}

function isWithin(path: string, root: string): boolean {
  return path === root || path.startsWith(root.endsWith(sep) ? root : root + sep);
}

function describe(name: string, info: Stats | undefined): DirEntry | undefined {
  // Gone between readdir and lstat: it is no longer an entry.
  if (!info) return undefined;
  return {
    name,
    isDir: info.isDirectory(),
    isSymlink: info.isSymbolicLink(),
    size: info.size,
    modifiedMs: Math.trunc(info.mtimeMs),
    mode: info.mode & 0o7777,
  };
}

function toStat(path: string, info: Stats): FileStat {
  return { path, isDir: info.isDirectory(), isFile: info.isFile(), size: info.size, modifiedMs: Math.trunc(info.mtimeMs), mode: info.mode & 0o7777 };
}

async function fsCall<T>(path: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throw mapFsError(path, error);
  }
}

const KINDS: Record<string, SandboxFileErrorKind> = {
  ENOENT: 'not-found',
  ENOTDIR: 'not-a-directory',
  EISDIR: 'is-a-directory',
  EEXIST: 'already-exists',
  ENOTEMPTY: 'not-empty',
  // A name over 255 bytes, or a whole path over PATH_MAX: the fuzzer and careless callers send them.
  ENAMETOOLONG: 'name-too-long',
  EACCES: 'permission-denied',
  EPERM: 'permission-denied',
  // A final symlink met by O_NOFOLLOW: one appeared after the check.
  ELOOP: 'outside',
};

const REASONS: Record<SandboxFileErrorKind, string> = {
  outside: 'it leads outside the sandbox. Use a path inside the sandbox',
  'invalid-path': 'the path is not usable here. Send another path',
  'not-found': 'no such file or directory. Check the path, or create it first',
  'not-a-directory': 'a part of the path is not a directory. Check the path',
  'is-a-directory': 'it is a directory. Name a file',
  'already-exists': 'it exists already. Remove it first, or pick another name',
  'not-empty': 'the directory is not empty. Remove its entries first, or remove it recursively',
  'permission-denied': 'permission denied. Check the file mode',
  'name-too-long': 'a name in it is too long (255 bytes at most, 4096 for the whole path). Use a shorter one',
  'too-large': 'it is too large',
};

/** An errno error as a SandboxFileError; anything else (and SandboxFileErrors) unchanged. */
export function mapFsError(path: string, error: unknown): unknown {
  if (error instanceof SandboxFileError) return error;
  const kind = KINDS[(error as NodeJS.ErrnoException)?.code ?? ''];
  if (!kind) return error;
  if (kind === 'outside') return new PathOutsideSandboxError(path);
  return new SandboxFileError(kind, path, `Failed to use '${printable(path)}': ${REASONS[kind]}.`);
}

function isDirectory(path: string, verb: string): SandboxFileError {
  return new SandboxFileError('is-a-directory', path, `Failed to ${verb} '${printable(path)}': it is a directory. Name a file.`);
}

function exists(path: string): SandboxFileError {
  return new SandboxFileError('already-exists', path, `Failed to use '${printable(path)}': it exists already. Remove it first, or ask to overwrite.`);
}

function rootRefused(path: string, verb: string): SandboxFileError {
  return new SandboxFileError('invalid-path', path, `Failed to ${verb} '${printable(path)}': it is the sandbox's root. Name something inside it.`);
}

/** Paths in messages: control characters (a NUL, a newline) shown escaped, long ones cut. */
function printable(path: string): string {
  const shown = JSON.stringify(path).slice(1, -1);
  return shown.length > 200 ? `${shown.slice(0, 200)}...` : shown;
}
