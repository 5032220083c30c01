import type { BlaxelSandbox } from './blaxel-context.ts';
import type { ProcessEntry } from './process-entry.ts';

/**
 * Resolves the `{identifier}` of every process path. A value that parses as an integer is only
 * ever a pid (exact match on the pid string: a process named "123" cannot be found by name);
 * anything else is a name, and the newest process holding it wins.
 */
export function findProcess(sandbox: BlaxelSandbox, identifier: string): ProcessEntry | undefined {
  const entries = sandbox.data.processes;
  const byPid = /^[+-]?\d+$/.test(identifier);
  for (let i = entries.length - 1; i >= 0; i--) {
    const entry = entries[i];
    if (byPid ? entry.pid === identifier : entry.name === identifier) return entry;
  }
  return undefined;
}
