import type { SandboxFiles } from '../../core/sandbox-files.ts';

/**
 * envd's user metadata on files (envd 0.6.2): an upload's `X-Metadata-<key>: <value>` headers
 * become the file's metadata, keys lower-cased, and every EntryInfo of the file shows them. envd
 * keeps them as `user.e2b.<key>` xattrs; Node has no xattr call, so the emulator keeps them per
 * sandbox, keyed by the file's identity (device, inode, birth time), which follows the file as
 * an xattr does: a rename, the API's or a command's `mv`, keeps them; a copy or a new write does
 * not. What a process sets with `setfattr` is not seen. The rules and their words are envd's
 * (e2b-dev/infra: packages/envd/internal/api/upload.go, packages/shared/pkg/filesystem/xattr.go).
 */
export type FileMetadata = Record<string, string>;

const HEADER_PREFIX = 'x-metadata-';
/** The xattr namespace counts towards envd's limits, so it is kept here for them. */
const XATTR_PREFIX = 'user.e2b.';
/** Linux caps an xattr's whole name at 255 bytes. */
const MAX_KEY_BYTES = 255 - XATTR_PREFIX.length;
/** What ext4 keeps on one inode: every name, prefix included, and value. */
const MAX_TOTAL_BYTES = 4096;

/**
 * The metadata an upload's headers carry, or undefined for none. Node hands header names over
 * lower-cased; a bare `X-Metadata-` names no key and is skipped, as envd skips it.
 */
export function metadataFromHeaders(headers: Record<string, string | undefined>): FileMetadata | undefined {
  let metadata: FileMetadata | undefined;
  for (const [name, value] of Object.entries(headers)) {
    if (!name.startsWith(HEADER_PREFIX) || value === undefined) continue;
    const key = name.slice(HEADER_PREFIX.length);
    if (key === '') continue;
    (metadata ??= {})[key] = value;
  }
  return metadata;
}

/** Node reads header bytes as latin1: one character is one byte, as envd counts them. */
function nonPrintable(label: string, text: string): string | undefined {
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x20 || code > 0x7e) return `metadata ${label} contains non-printable-ASCII byte 0x${code.toString(16).padStart(2, '0')} at offset ${i}`;
  }
  return undefined;
}

/** Why envd refuses the set (its 400 says `invalid metadata: <this>`), or undefined. */
export function metadataRefusal(metadata: FileMetadata): string | undefined {
  let total = 0;
  for (const [key, value] of Object.entries(metadata)) {
    if (key.length > MAX_KEY_BYTES) return `metadata key ${JSON.stringify(key)} exceeds ${MAX_KEY_BYTES} bytes`;
    const refusal = nonPrintable('key', key) ?? nonPrintable(`value for key ${JSON.stringify(key)}`, value);
    if (refusal) return refusal;
    total += XATTR_PREFIX.length + key.length + value.length;
  }
  return total > MAX_TOTAL_BYTES ? `total metadata size ${total} exceeds ${MAX_TOTAL_BYTES} bytes` : undefined;
}

/** One sandbox's metadata, file by file; it goes with the sandbox. */
export class FileMetadataStore {
  private readonly byFile = new Map<string, FileMetadata>();

  /** The file's metadata, or undefined when it has none (envd then leaves the field out). */
  async read(files: SandboxFiles, path: string): Promise<FileMetadata | undefined> {
    // Most sandboxes never set any: no stat for them.
    if (this.byFile.size === 0) return undefined;
    const id = await files.identity(path).catch(() => undefined);
    return id === undefined ? undefined : this.byFile.get(id);
  }

  /** Replaces the file's whole set, as every upload does: none clears it. */
  async replace(files: SandboxFiles, path: string, metadata: FileMetadata | undefined): Promise<void> {
    const id = await files.identity(path);
    if (metadata && Object.keys(metadata).length > 0) this.byFile.set(id, { ...metadata });
    else this.byFile.delete(id);
  }
}
