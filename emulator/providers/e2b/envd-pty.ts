import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, readlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { ManagedProcess } from '../../core/managed-process.ts';
import { treePids } from '../../core/process-tree.ts';

/**
 * envd's PTYs (the SDK's `sandbox.pty`): a process started with `pty` runs on a pseudo-terminal,
 * its output comes as `data.pty`, input goes to the terminal, and Update resizes it. envd opens
 * the terminal itself (creack/pty); Node cannot without a native module, so the process runs
 * under util-linux's `script`, which opens one, forwards its stdin to it and its output to its
 * stdout, and exits with the command's status. The size lives in a file the command reads as it
 * starts (`stty $(cat file)`) and that a resize writes before it sets the terminal (`stty -F`),
 * so a resize that comes before the command is up is not lost to the first size.
 */
export interface PtySize {
  cols?: number;
  rows?: number;
}

const quote = (word: string) => `'${word.replace(/'/g, `'\\''`)}'`;
const dimension = (value: number | undefined, fallback: number) => (Number.isInteger(value) && value! > 0 && value! < 65536 ? value! : fallback);
const sizeWords = (size: PtySize) => `cols ${dimension(size.cols, 80)} rows ${dimension(size.rows, 24)}`;

/** What is known of each process that runs on a terminal: where its size is kept. */
const terminals = new WeakMap<ManagedProcess, { sizeFile: string }>();

export function isPty(proc: ManagedProcess): boolean {
  return terminals.has(proc);
}

/** The argv that runs `argv` on a terminal of `size`, and the file that holds its size. */
export function ptyCommand(folder: string, argv: string[], size: PtySize): { argv: [string, ...string[]]; sizeFile: string } {
  mkdirSync(folder, { recursive: true });
  const sizeFile = join(folder, `${randomBytes(8).toString('hex')}.size`);
  writeFileSync(sizeFile, sizeWords(size));
  const command = `stty $(cat ${quote(sizeFile)}) 2>/dev/null; exec ${argv.map(quote).join(' ')}`;
  return { argv: ['script', '--quiet', '--flush', '--return', '--command', command, '/dev/null'], sizeFile };
}

export function markPty(proc: ManagedProcess, sizeFile: string): void {
  terminals.set(proc, { sizeFile });
}

/** The terminal the process's command holds (its stdin), found by its tree tag; undefined before it is up. */
function terminalOf(proc: ManagedProcess): string | undefined {
  if (!proc.spec.tree) return undefined;
  for (const pid of treePids(proc.spec.tree)) {
    try {
      const stdin = readlinkSync(`/proc/${pid}/fd/0`);
      if (stdin.startsWith('/dev/pts/')) return stdin;
    } catch {
      // Gone since the scan.
    }
  }
  return undefined;
}

const run = promisify(execFile);

/** Resizes the process's terminal; false when it has none (envd: "tty not assigned to process"). */
export async function resizePty(proc: ManagedProcess, size: PtySize): Promise<boolean> {
  const terminal = terminals.get(proc);
  if (!terminal) return false;
  // First the file, then the terminal: a command not up yet reads the new size as it starts.
  writeFileSync(terminal.sizeFile, sizeWords(size));
  const device = terminalOf(proc);
  // The kernel tells the terminal's foreground processes with SIGWINCH, as on envd's resize.
  if (device) await run('stty', ['-F', device, ...sizeWords(size).split(' ')]);
  return true;
}
