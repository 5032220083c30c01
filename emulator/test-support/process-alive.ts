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

/** Polls until `check` holds, for the few facts no API event reports (a pid vanishing). */
export async function eventually(check: () => boolean | Promise<boolean>, what = 'the condition', timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
