import { signalNumber, type ManagedProcess } from '../../core/managed-process.ts';

/** The process as Tensorlake's ProcessInfo describes it. */
export interface ProcessInfo {
  handle: number;
  pid: number;
  status: 'running' | 'exited' | 'signaled';
  exit_code: number | null;
  signal: number | null;
  stdin_writable: boolean;
  command: string;
  args: string[];
  started_at: number;
  ended_at: number | null;
}

/**
 * ManagedProcess -> ProcessInfo. Every nullable field is sent as an explicit null while it has
 * no value, as in the docs' examples. `oom_killed` is never reported: the emulator sets no
 * memory limit, so nothing is ever killed for memory.
 */
export function toProcessInfo(proc: ManagedProcess): ProcessInfo {
  const exit = proc.exitInfo;
  const signal = exit ? signalNumber(exit.signal) : null;
  return {
    handle: proc.handle,
    pid: proc.pid,
    status: !exit ? 'running' : signal !== null ? 'signaled' : 'exited',
    exit_code: exit && signal === null ? exit.exitCode : null,
    signal,
    stdin_writable: proc.stdinWritable,
    command: proc.spec.command,
    args: proc.spec.args,
    started_at: proc.startedAt,
    ended_at: exit ? exit.endedAt : null,
  };
}
