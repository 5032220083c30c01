import type { ManagedProcess } from '../../core/managed-process.ts';
import type { TensorlakeSandbox } from './tensorlake-state.ts';

/**
 * The `{pid}` path segment: all ASCII digits is an OS pid, anything else is the name of a
 * managed process (current SDKs send "pid_or_name", percent-encoded into one segment).
 */
export type ProcessRef = { kind: 'pid'; pid: number; label: string } | { kind: 'name'; name: string; label: string };

export function parseProcessRef(segment: string): ProcessRef {
  if (/^[0-9]+$/.test(segment)) return { kind: 'pid', pid: Number(segment), label: segment };
  return { kind: 'name', name: segment, label: segment };
}

/** The process a segment names in this sandbox; by name, the newest one holding it. */
export function findProcess(sandbox: TensorlakeSandbox, ref: ProcessRef): ManagedProcess | undefined {
  return ref.kind === 'pid' ? sandbox.processes.byPid(ref.pid) : sandbox.processes.byName(ref.name);
}

/** A pid the document's int32 fields can carry, for answers that echo an unknown pid back. */
export function isInt32(value: number): boolean {
  return Number.isSafeInteger(value) && value <= 0x7fffffff;
}
