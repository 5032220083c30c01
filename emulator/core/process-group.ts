import { readdirSync, readFileSync } from 'node:fs';
import { setTimeout as delay } from 'node:timers/promises';

/**
 * Resolves once no live process is left in a process group, or after `timeoutMs`. SIGKILL is
 * delivered at once, but a process dies only when it next runs: on a busy machine a background
 * child that outlived its group leader can still be there for some milliseconds after the kill.
 * Those are not our children, so no exit event reaches us; their group is polled instead.
 * Zombies do not count: an orphan's zombie waits on whoever adopted it (in a container, maybe
 * nobody), and it runs nothing.
 */
export async function groupEnded(pgid: number, timeoutMs = 2000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (!groupHasLiveMember(pgid)) return true;
    if (Date.now() >= deadline) return false;
    await delay(5);
  }
}

function groupHasLiveMember(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
  } catch {
    return false;
  }
  // Something answers for the group; it may be only zombies. /proc says which (Linux only;
  // elsewhere the answer above stands).
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return true;
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
    } catch {
      continue;
    }
    // Fields after the command (which may hold spaces): state ppid pgrp ...
    const [state, , pgrp] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (Number(pgrp) === pgid && state !== 'Z') return true;
  }
  return false;
}
