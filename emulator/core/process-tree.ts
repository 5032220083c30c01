import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import { alive } from './temp-root.ts';

/**
 * Every descendant of a process, even one that left its process group.
 *
 * Killing a process's group reaches what it forked, but not what left the group: `setsid cmd &`,
 * a daemon that double-forks. Such an escapee is reparented to init and carries nothing that
 * names its origin, except what it inherited: its environment. So every process the emulator
 * starts gets one variable, SANDBOX_EMULATOR_TREE=<emulator pid>:<sandbox>:<process>:, which
 * every descendant inherits, and /proc/<pid>/environ shows it to us (same user) however far the
 * descendant moved. Ending a process, a sandbox or the emulator then also SIGKILLs every process
 * whose environment carries that tag, or a prefix of it.
 *
 * This needs no privilege. The kernel's own tools for it need some: a PID namespace per sandbox
 * wants a user namespace (often disabled, and blocked by Docker's default seccomp profile),
 * cgroup.kill a delegated cgroup v2 subtree, and PR_SET_CHILD_SUBREAPER a native call Node does
 * not offer. What escapes the tag: a descendant that both leaves its group and clears its
 * environment (`env -i`, some daemons), or one that changes to another user. Without /proc (macOS)
 * only the group is reached. The README says so.
 */
export const TREE_VARIABLE = 'SANDBOX_EMULATOR_TREE';

/** A new sandbox's tag: this emulator's pid, then an id of its own. Ends with ':'. */
export function newSandboxTree(): string {
  return `${process.pid}:${randomBytes(6).toString('hex')}:`;
}

/** The tag of one process of a sandbox tree. Ends with ':' so that tags never prefix each other. */
export function processTree(sandboxTree: string, handle: number): string {
  return `${sandboxTree}${handle}:`;
}

/**
 * SIGKILLs every process whose environment holds SANDBOX_EMULATOR_TREE starting with `prefix`,
 * except the caller and those whose whole tag `spare` keeps; returns how many it signalled.
 * Scans again after each round, for children forked between a scan and the kill, until a scan
 * finds nothing new.
 *
 * Self-contained on purpose, its module passed in: the spawn helper (spawn-server.ts) runs this
 * very function, from its source text, when the emulator dies without a word.
 */
export function killTree(files: Pick<typeof fs, 'readdirSync' | 'readFileSync'>, prefix: string, spare?: (tag: string) => boolean): number {
  const name = 'SANDBOX_EMULATOR_TREE=';
  const needle = Buffer.from(`${name}${prefix}`);
  const killed = new Set<number>();
  for (let round = 0; round < 8; round++) {
    let entries: string[];
    try {
      entries = files.readdirSync('/proc');
    } catch {
      return killed.size;
    }
    let fresh = 0;
    for (const entry of entries) {
      const pid = Number(entry);
      if (!Number.isInteger(pid) || pid === process.pid || killed.has(pid)) continue;
      let environ: Buffer;
      try {
        environ = files.readFileSync(`/proc/${entry}/environ`);
      } catch {
        continue;
      }
      const at = environ.indexOf(needle);
      if (at === -1 || (at > 0 && environ[at - 1] !== 0)) continue;
      if (spare) {
        const end = environ.indexOf(0, at);
        if (spare(environ.subarray(at + name.length, end === -1 ? environ.length : end).toString('latin1'))) continue;
      }
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // Gone already.
      }
      killed.add(pid);
      fresh++;
    }
    if (fresh === 0) break;
  }
  return killed.size;
}

/**
 * The pids of every process whose environment holds SANDBOX_EMULATOR_TREE starting with
 * `prefix`, but the caller: one scan of /proc, for looking at a tree (its use, its terminal),
 * not ending it (killTree, self-contained for the spawn helper, has its own). Empty without /proc.
 */
export function treePids(prefix: string): number[] {
  const needle = Buffer.from(`${TREE_VARIABLE}=${prefix}`);
  let entries: string[];
  try {
    entries = fs.readdirSync('/proc');
  } catch {
    return [];
  }
  const pids: number[] = [];
  for (const entry of entries) {
    const pid = Number(entry);
    if (!Number.isInteger(pid) || pid === process.pid) continue;
    try {
      const environ = fs.readFileSync(`/proc/${entry}/environ`);
      const at = environ.indexOf(needle);
      if (at !== -1 && (at === 0 || environ[at - 1] === 0)) pids.push(pid);
    } catch {
      // Gone between the listing and the read, or not ours to read.
    }
  }
  return pids;
}

/** killTree with the real filesystem. */
export function endTree(prefix: string): number {
  return killTree(fs, prefix);
}

/**
 * Ends what emulators that died without cleaning up left running (SIGKILL of both the emulator
 * and its spawn helper, a crash, a power cut on a machine whose /proc survived a container):
 * every tagged process whose emulator's pid no longer answers. Like the temp-root sweep, a
 * reused pid only delays this until a later start. Returns how many were signalled.
 */
export function sweepOrphanedTrees(): number {
  // Each owner asked once: a dead emulator may have left many processes.
  const living = new Map<number, boolean>();
  const ownerLives = (tag: string) => {
    const owner = Number(/^\d+/.exec(tag)?.[0]);
    if (!owner || owner === process.pid) return true;
    if (!living.has(owner)) living.set(owner, alive(owner));
    return living.get(owner)!;
  };
  return killTree(fs, '', ownerLives);
}

