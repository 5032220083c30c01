import { readFileSync } from 'node:fs';
import { treePids } from './process-tree.ts';

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
 * The usage of every process of a sandbox's tree (`prefix`: see process-tree.ts), so that what
 * left its process group counts too. Read from /proc; without it (macOS) nothing is found.
 * Processes that ended took their CPU time with them.
 */
export function treeUsage(prefix: string): ProcessUsage {
  const usage: ProcessUsage = { cpuSeconds: 0, rssBytes: 0, processes: 0 };
  for (const pid of treePids(prefix)) {
    try {
      // The fields after the command's closing parenthesis: utime and stime are the 12th and 13th.
      const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const rss = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'latin1'));
      usage.cpuSeconds += (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
      usage.rssBytes += rss ? Number(rss[1]) * 1024 : 0;
      usage.processes++;
    } catch {
      // Gone since the scan.
    }
  }
  return usage;
}
