import { signalNumber, type ExitInfo } from '../../core/managed-process.ts';
import type { SandboxRecord } from './sandbox-store.ts';

export type SandboxPhase = 'Pending' | 'Starting' | 'Running' | 'Stopping' | 'Failed' | 'Completed' | 'Canceled' | 'Released';

/** The node every emulated pod runs on (a sandbox's `nodeName`, a stream line's `node_name`). */
export const NODE_NAME = 'sandbox-emulator';

/**
 * The phase follows the sandbox's own container: Running while it runs, then Completed (exit 0)
 * or Failed. After a release: Stopping while any of its processes is still ending, then
 * Released, unless the workload had already finished, whose outcome the history keeps.
 */
export function sandboxPhase(record: SandboxRecord): SandboxPhase {
  const exit = record.main.process.exitInfo;
  if (record.releasedAt !== undefined) {
    if (record.sandbox.processes.running().length > 0) return 'Stopping';
    return record.endedBeforeRelease && exit ? outcome(exit) : 'Released';
  }
  return exit ? outcome(exit) : 'Running';
}

function outcome(exit: ExitInfo): SandboxPhase {
  return exitCodeOf(exit) === 0 ? 'Completed' : 'Failed';
}

/** A container's exit code as Kubernetes reports it: 128 + the signal for a killed process. */
export function exitCodeOf(exit: ExitInfo): number {
  if (exit.exitCode !== null) return exit.exitCode;
  return 128 + (signalNumber(exit.signal) ?? 0);
}

/** Kubernetes' own timestamps (metav1.Time) have whole seconds. */
export function rfc3339Seconds(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

/** The `Sandbox` schema of specs/agentbox.yaml. */
export function sandboxView(record: SandboxRecord, now: number): Record<string, unknown> {
  const phase = sandboxPhase(record);
  const main = record.main;
  const exit = main.process.exitInfo;
  const startedAt = main.process.startedAt;
  const view: Record<string, unknown> = {
    sandboxId: record.id,
    namespace: record.namespace,
    poolName: record.poolName,
    podName: record.podName,
    status: phase,
    claimedAt: rfc3339Seconds(record.claimedAt),
    startedAt: rfc3339Seconds(startedAt),
  };
  if (exit) view.terminatedAt = rfc3339Seconds(exit.endedAt);
  view.durationSeconds = Math.max(0, Math.floor(((exit?.endedAt ?? now) - startedAt) / 1000));
  if (record.containerImages) view.containerImages = record.containerImages;
  if (record.metadata) view.metadata = record.metadata;
  if (record.idleTimeoutSeconds !== undefined) view.idleTimeoutSeconds = record.idleTimeoutSeconds;
  if (exit) view.exitCode = exitCodeOf(exit);
  if (phase === 'Failed' && exit) {
    view.failureReason = 'Error';
    view.failureMessage =
      exit.exitCode !== null
        ? `container "${main.name}" exited with code ${exit.exitCode}`
        : `container "${main.name}" was killed by ${exit.signal} (exit code ${exitCodeOf(exit)})`;
  }
  view.nodeName = NODE_NAME;
  return view;
}
