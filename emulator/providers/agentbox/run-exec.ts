import { STREAMS } from '../../core/output-log.ts';
import { droppedHeader } from '../dropped-output.ts';
import type { SandboxRecord } from './sandbox-store.ts';
import { exitCodeOf } from './sandbox-view.ts';

/**
 * The exit code an exec answers when its timeout ran out and the emulator killed it: 124, as
 * coreutils `timeout` reports, so a caller can tell "timed out" from the command's own codes.
 */
export const EXEC_TIMEOUT_EXIT_CODE = 124;

export interface ExecOutcome {
  exitCode: number;
  stdout: string;
  stderr: string;
  timedOut: boolean;
  /** Headers that say output was dropped to keep within the cap (see dropped-output.ts). */
  headers: Record<string, string>;
}

/**
 * Runs `sh -c <command>` in the sandbox's folder and waits for it. On timeout, or when the
 * client goes away, the command's whole process group is killed, so nothing outlives the call
 * unseen.
 */
export async function runExec(record: SandboxRecord, command: string, timeoutMs: number, capBytes: number, signal: AbortSignal): Promise<ExecOutcome> {
  const sandbox = record.sandbox;
  const proc = await sandbox.processes.start({
    argv: ['sh', '-c', command],
    command,
    args: [],
    cwd: sandbox.dir,
    env: sandbox.env,
    // No TTY and no stdin, as the server's exec asks for.
    stdin: 'closed',
    capBytes,
  });
  const onAbort = () => proc.kill();
  signal.addEventListener('abort', onAbort, { once: true });
  try {
    const finished = await proc.wait(timeoutMs);
    if (!finished) proc.kill();
    const exit = await proc.done;
    return {
      exitCode: finished ? exitCodeOf(exit) : EXEC_TIMEOUT_EXIT_CODE,
      stdout: proc.output.bytes('stdout').toString('utf8'),
      stderr: proc.output.bytes('stderr').toString('utf8'),
      timedOut: !finished,
      headers: droppedHeader(proc, STREAMS),
    };
  } finally {
    signal.removeEventListener('abort', onAbort);
  }
}
