import { lstat, readdir, statfs } from 'node:fs/promises';
import { join } from 'node:path';

/** Entries a walk looks at, at most: a sandbox with more is counted up to there. */
const MAX_ENTRIES = 200_000;

/**
 * The space a folder's files take (allocated blocks, as `du` counts them, links not followed),
 * and the size of the filesystem it is on. Bounded: past MAX_ENTRIES the rest is not counted.
 */
export async function diskUsage(folder: string): Promise<{ usedBytes: number; totalBytes: number }> {
  let usedBytes = 0;
  let seen = 0;
  const pending = [folder];
  while (pending.length > 0 && seen < MAX_ENTRIES) {
    const dir = pending.pop()!;
    const names = await readdir(dir).catch(() => [] as string[]);
    for (const name of names) {
      if (++seen > MAX_ENTRIES) break;
      const info = await lstat(join(dir, name)).catch(() => undefined);
      if (!info) continue;
      usedBytes += info.blocks * 512;
      if (info.isDirectory()) pending.push(join(dir, name));
    }
  }
  const fs = await statfs(folder).catch(() => undefined);
  return { usedBytes, totalBytes: fs ? fs.blocks * fs.bsize : 0 };
}
