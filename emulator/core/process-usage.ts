import { readdirSync, readFileSync } from 'node:fs';
import { TREE_VARIABLE } from './process-tree.ts';

/** What a sandbox's processes use now: the CPU time they have spent, and their memory. */
export interface ProcessUsage {
  /** User and system CPU time of the processes running now, in seconds. */
  cpuSeconds: number;
  /** Their resident memory, in bytes. */
  rssBytes: number;
  processes: number;
}

/** Linux's USER_HZ: the unit of /proc/<pid>/stat's times, 100 on every architecture it runs on. */
const CLOCK_TICKS = 100;

/**
 * The usage of every process whose environment carries a tag starting with `prefix` (a sandbox's
 * tree: see process-tree.ts), so that what left its process group counts too. Read from /proc;
 * without it (macOS) nothing is found. Processes that ended took their CPU time with them.
 */
export function treeUsage(prefix: string): ProcessUsage {
  const needle = Buffer.from(`${TREE_VARIABLE}=${prefix}`);
  const usage: ProcessUsage = { cpuSeconds: 0, rssBytes: 0, processes: 0 };
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return usage;
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      const environ = readFileSync(`/proc/${entry}/environ`);
      const at = environ.indexOf(needle);
      if (at === -1 || (at > 0 && environ[at - 1] !== 0)) continue;
      // The fields after the command's closing parenthesis: utime and stime are the 12th and 13th.
      const stat = readFileSync(`/proc/${entry}/stat`, 'latin1');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const rss = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${entry}/status`, 'latin1'));
      usage.cpuSeconds += (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
      usage.rssBytes += rss ? Number(rss[1]) * 1024 : 0;
      usage.processes++;
    } catch {
      // Gone between the listing and the read, or not ours to read.
    }
  }
  return usage;
}
