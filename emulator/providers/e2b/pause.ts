import type { E2bSandbox } from './e2b-state.ts';

/**
 * Pausing as E2B snapshots a machine: its processes stop where they are (SIGSTOP to each group)
 * and go on at the resume (SIGCONT). Without its memory (`keepMemory: false`, a filesystem-only
 * snapshot) a resume is a fresh boot, so the processes end at the pause instead. The timeout is
 * the caller's: a pause stops it, a resume sets it anew (e2b-state.ts).
 */
export async function pauseProcesses(sandbox: E2bSandbox, keepMemory: boolean): Promise<void> {
  if (sandbox.data.timer) clearTimeout(sandbox.data.timer);
  sandbox.data.timer = undefined;
  sandbox.data.paused = true;
  if (!keepMemory) await Promise.all(sandbox.processes.running().map((proc) => proc.terminate()));
  else for (const proc of sandbox.processes.running()) proc.signal('SIGSTOP');
}

export function resumeProcesses(sandbox: E2bSandbox): void {
  sandbox.data.paused = false;
  for (const proc of sandbox.processes.running()) proc.signal('SIGCONT');
}
