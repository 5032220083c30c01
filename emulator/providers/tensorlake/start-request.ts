import { REASON_HEADER } from '../../kernel/emulator-headers.ts';
import { stat } from 'node:fs/promises';
import { isAbsolute, join, posix } from 'node:path';
import { SpawnError, type ManagedProcess, type StartSpec } from '../../core/managed-process.ts';
import { TooManyProcessesError } from '../../core/process-supervisor.ts';
import type { EmuResponse } from '../../kernel/exchange.ts';
import { errorResponse } from './error-response.ts';
import type { TensorlakeSandbox, TensorlakeState } from './tensorlake-state.ts';

/** The fields start and run share (the request validator has checked their types already). */
export interface ProcessRequest {
  command: string;
  args?: string[];
  env?: Record<string, string>;
  working_dir?: string;
  stdin_mode?: 'closed' | 'pipe';
  stdout_mode?: 'capture' | 'discard';
  stderr_mode?: 'capture' | 'discard';
  /**
   * Accepted and not applied: the emulator runs every command as the user it runs as.
   * (`restart` and `health_check` of managed processes are accepted the same way; a managed
   * process is addressable by its name, but the emulator does not restart or probe it.)
   */
  user?: unknown;
  name?: string;
}

/**
 * Starts a process the way the daemon does: `command` run directly with `args` (no shell), the
 * sandbox's environment plus the request's, in `working_dir` (a relative one inside the
 * sandbox's folder; by default the folder itself). Answers the provider's error when the
 * process cannot start.
 */
export async function startProcess(
  state: TensorlakeState,
  sandbox: TensorlakeSandbox,
  request: ProcessRequest,
): Promise<{ proc: ManagedProcess } | { error: EmuResponse }> {
  const args = request.args ?? [];
  const cwd = workingFolder(sandbox.dir, request.working_dir);
  // Node reports a missing cwd as "spawn <command> ENOENT", which blames the command; say what is wrong.
  const dir = await stat(cwd).catch(() => undefined);
  if (!dir?.isDirectory()) {
    return { error: spawnFailure(`working directory '${request.working_dir}' does not exist or is not a directory. Create it first or pass another working_dir`) };
  }
  const spec: StartSpec = {
    argv: [request.command, ...args],
    command: request.command,
    args,
    cwd,
    env: { ...sandbox.env, ...(request.env ?? {}) },
    stdin: request.stdin_mode === 'pipe' ? 'pipe' : 'closed',
    capture: { stdout: request.stdout_mode !== 'discard', stderr: request.stderr_mode !== 'discard' },
    name: request.name,
    capBytes: state.capBytes,
  };
  try {
    return { proc: await sandbox.processes.start(spec) };
  } catch (error) {
    if (error instanceof SpawnError) {
      return { error: spawnFailure(`${error.message}. Check that '${request.command}' exists in the sandbox and is executable`) };
    }
    if (error instanceof TooManyProcessesError) return { error: errorResponse(500, error.message, 'TOO_MANY_PROCESSES') };
    throw error;
  }
}

/**
 * Where a process runs. A relative working_dir is taken from the sandbox's folder, as from `/`,
 * where `..` goes no higher (as on any filesystem: `/..` is `/`), so it never leads out of the
 * folder. An absolute one is the host's path, as absolute paths in commands are (the emulator
 * runs no chroot; the README says so).
 */
function workingFolder(folder: string, workingDir: string | undefined): string {
  if (!workingDir) return folder;
  if (isAbsolute(workingDir)) return workingDir;
  return join(folder, posix.normalize(`/${workingDir}`));
}

/**
 * The daemon's 500 for a process that could not be spawned, byte for byte: `{"error":"Failed to
 * spawn process"}`, no code. Why it failed (no such program, no such working directory) is ours
 * to add, so it goes in a header and the request log, not in the provider's body.
 */
function spawnFailure(reason: string): EmuResponse {
  return errorResponse(500, 'Failed to spawn process', undefined, { [REASON_HEADER]: headerSafe(reason) });
}

/** A header value: printable ASCII only (no NUL from an argument, no newline), and short. */
function headerSafe(text: string): string {
  const safe = JSON.stringify(text).slice(1, -1).replace(/[^\x20-\x7e]/g, '?');
  return safe.length > 300 ? `${safe.slice(0, 300)}...` : safe;
}
