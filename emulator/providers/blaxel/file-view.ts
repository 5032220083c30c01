import { readFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import type { DirEntry, FileStat } from '../../core/sandbox-files.ts';

/** The File schema: one entry of a listing that is not a directory. */
export interface FileView {
  path: string;
  name: string;
  permissions: string;
  size: number;
  lastModified: string;
  owner: string;
  group: string;
}

export interface DirectoryView {
  name: string;
  path: string;
  files: FileView[];
  subdirectories: Array<{ name: string; path: string }>;
}

/** Go's os.ModeSymlink, which its `%o` of a FileMode prints in front of the permission bits. */
const GO_MODE_SYMLINK = 2 ** 27;

/** A sandbox path joined with a name: `/` + `a` is `/a`. */
export function childPath(dir: string, name: string): string {
  return dir === '/' ? `/${name}` : `${dir}/${name}`;
}

function baseName(path: string): string {
  if (path === '/') return '/';
  return path.slice(path.lastIndexOf('/') + 1);
}

export function directoryView(path: string, entries: DirEntry[]): DirectoryView {
  const view: DirectoryView = { name: baseName(path), path, files: [], subdirectories: [] };
  for (const entry of entries) {
    const entryPath = childPath(path, entry.name);
    // Go's DirEntry.IsDir: a symlink to a directory is listed as a file, as itself.
    if (entry.isDir && !entry.isSymlink) view.subdirectories.push({ name: entry.name, path: entryPath });
    else view.files.push(fileView(entryPath, entry));
  }
  return view;
}

export function fileView(path: string, info: Pick<DirEntry, 'size' | 'modifiedMs' | 'mode'> & { isSymlink?: boolean }): FileView {
  const mode = info.isSymlink ? GO_MODE_SYMLINK + (info.mode & 0o777) : info.mode & 0o7777;
  const { owner, group } = owners();
  return {
    path,
    name: baseName(path),
    permissions: mode.toString(8),
    size: info.size,
    lastModified: new Date(info.modifiedMs).toISOString(),
    owner,
    group,
  };
}

export function fileWithContent(stat: FileStat, content: string): FileView & { content: string } {
  return { ...fileView(stat.path, stat), content };
}

let cached: { owner: string; group: string } | undefined;

/**
 * The emulator's user and group: every file in a sandbox's folder is made by it (a command
 * that runs there runs as it), so the names are looked up once instead of per file.
 */
function owners(): { owner: string; group: string } {
  if (cached) return cached;
  const user = userInfo();
  let group = String(user.gid);
  try {
    for (const line of readFileSync('/etc/group', 'utf8').split('\n')) {
      const [name, , gid] = line.split(':');
      if (gid !== undefined && Number(gid) === user.gid) {
        group = name;
        break;
      }
    }
  } catch {
    // No /etc/group: the number, as Go prints it when the lookup fails.
  }
  cached = { owner: user.username, group };
  return cached;
}

/** The Content-Type of a download, by the name's extension (the server's table). */
export function downloadType(name: string): string {
  // filepath.Ext, compared case-sensitively as the server's switch does.
  const dot = name.lastIndexOf('.');
  const ext = dot >= 0 ? name.slice(dot) : '';
  return DOWNLOAD_TYPES[ext] ?? 'application/octet-stream';
}

const DOWNLOAD_TYPES: Record<string, string> = {
  '.txt': 'text/plain',
  '.log': 'text/plain',
  '.html': 'text/html',
  '.htm': 'text/html',
  '.css': 'text/css',
  '.js': 'application/javascript',
  '.json': 'application/json',
  '.xml': 'application/xml',
  '.pdf': 'application/pdf',
  '.zip': 'application/zip',
  '.tar': 'application/x-tar',
  '.gz': 'application/gzip',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.png': 'image/png',
  '.gif': 'image/gif',
  '.svg': 'image/svg+xml',
};
