import { readFileSync } from 'node:fs';

/**
 * True while the pid runs. A zombie (ended, not yet reaped by its new parent) is not alive:
 * tests check that what the emulator started is really gone, and a zombie is.
 */
export function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}
