import type { AgentBoxContext } from './context.ts';
import { NAMESPACE, notFoundMessage } from './reply.ts';
import type { ContainerRun, SandboxRecord } from './sandbox-store.ts';
import { sandboxPhase } from './sandbox-view.ts';

/** What a log request (snapshot or stream) reads, or why it cannot. */
export type LogTarget =
  | { kind: 'container'; record: SandboxRecord; run: ContainerRun; tail: number }
  | { kind: 'not-found'; message: string }
  | { kind: 'bad-container'; record: SandboxRecord; message: string }
  | { kind: 'bad-runtime'; record?: SandboxRecord; message: string };

/** `source` absent, empty or `stdout` means the containers' output; anything else names a runtime. */
export function isRuntimeSource(source: string | null): source is string {
  return source !== null && source !== '' && source !== 'stdout';
}

/** Container names as the server lists them: the sandbox's own first, then the pool's order. */
export function containerNames(record: SandboxRecord): string[] {
  return [record.main.name, ...record.containers.filter((c) => c !== record.main).map((c) => c.name)];
}

/** `lines` as the server reads it: absent, 0, negative (and, for the stream, junk) mean everything. */
export function tailOf(lines: string | null): number {
  if (lines === null || !/^[-+]?\d+$/.test(lines.trim())) return 0;
  return Math.max(0, Number(lines));
}

/**
 * Resolves sandbox, source and container the way the server's log handlers do, in their order:
 * a runtime source is checked first (its failures are all 400s, even for an unknown sandbox);
 * then the sandbox must have a pod; then `container` must name one of its containers (omitted,
 * the sandbox's own is read).
 */
export function resolveLogTarget(ctx: AgentBoxContext, sandboxId: string, query: URLSearchParams): LogTarget {
  const source = query.get('source');
  const record = ctx.store.live(sandboxId);
  if (isRuntimeSource(source)) {
    if (!record) return { kind: 'bad-runtime', message: 'runtime logs are only available for active sandboxes; sandbox not found or already terminated' };
    if (sandboxPhase(record) !== 'Running') return { kind: 'bad-runtime', record, message: 'runtime logs are only available for Running sandboxes' };
    // Emulated pools declare no runtimes, so every runtime name is unknown.
    return { kind: 'bad-runtime', record, message: `runtime "${source}" not found in pool ${record.poolName}` };
  }
  if (!record) {
    const released = ctx.store.get(sandboxId) !== undefined;
    return {
      kind: 'not-found',
      message: released
        ? `sandbox ${NAMESPACE}/${sandboxId} has ended and its pod was recycled; historical logs are unavailable because this deployment has no central log service configured`
        : notFoundMessage(sandboxId),
    };
  }
  const wanted = query.get('container');
  let run = record.main;
  if (wanted !== null && wanted !== '') {
    const found = record.containers.find((c) => c.name === wanted);
    if (!found) {
      return { kind: 'bad-container', record, message: `sandbox ${NAMESPACE}/${record.id} has no container "${wanted}"; it has ${containerNames(record).join(', ')}` };
    }
    run = found;
  }
  return { kind: 'container', record, run, tail: tailOf(query.get('lines')) };
}
