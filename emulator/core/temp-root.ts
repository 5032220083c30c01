import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * The emulator's temporary root holds every sandbox's folder. Its name carries the pid of the
 * emulator that made it, so that a later emulator can tell a root whose owner died without
 * cleaning up (SIGKILL, a crash, a power cut) from one in use, and remove it.
 */
const PREFIX = 'sandbox-emulator-root-';
const NAME = new RegExp(`^${PREFIX}(\\d+)-`);

/** Makes the one temporary root of an emulator; removed again by `removeTempRoot`. */
export function createTempRoot(parent: string = tmpdir()): Promise<string> {
  return mkdtemp(join(parent, `${PREFIX}${process.pid}-`));
}

export function removeTempRoot(root: string): Promise<void> {
  return rm(root, { recursive: true, force: true });
}

/**
 * Removes the roots of emulators that are no longer running; returns the paths removed. A root
 * whose pid answers (alive, or another user's process) is kept: a reused pid only delays the
 * sweep until a later start, it never removes a live emulator's sandboxes.
 */
export async function sweepStaleRoots(parent: string = tmpdir()): Promise<string[]> {
  let names: string[];
  try {
    names = await readdir(parent);
  } catch {
    return [];
  }
  const removed: string[] = [];
  for (const name of names) {
    const pid = Number(NAME.exec(name)?.[1]);
    if (!pid || pid === process.pid || alive(pid)) continue;
    const path = join(parent, name);
    try {
      await rm(path, { recursive: true, force: true });
      removed.push(path);
    } catch {
      // Someone else's, or being removed by another emulator starting at the same time.
    }
  }
  return removed;
}

/** True while the pid exists, ours to signal or not. */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists, it is only not ours to signal.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
