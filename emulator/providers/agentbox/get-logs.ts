import type { Handler } from '../../kernel/exchange.ts';
import { snapshotContainerLog } from './container-log.ts';
import type { AgentBoxContext } from './context.ts';
import { containerNames, resolveLogTarget } from './log-target.ts';
import { failure, reply } from './reply.ts';

/**
 * GET /v1/sandboxes/{sandboxId}/logs: the container's log as it is now, one entry per
 * non-empty line, both streams in the order they were written (as the kubelet keeps them).
 */
export function getLogsHandler(ctx: AgentBoxContext): Handler {
  return (request) => {
    const target = resolveLogTarget(ctx, request.params.sandboxId, request.query);
    if (target.kind === 'not-found') return failure(404, target.message);
    if (target.kind !== 'container') return failure(400, target.message);
    const { record, run, tail } = target;
    const snapshot = snapshotContainerLog(run);
    const cut = tail > 0 && snapshot.lines.length > tail;
    const lines = cut ? snapshot.lines.slice(-tail) : snapshot.lines;
    const result: Record<string, unknown> = {
      sandboxId: record.id,
      namespace: record.namespace,
      podName: record.podName,
    };
    if (!ctx.quirk('logs-captured-at-absent')) result.capturedAt = new Date(ctx.now()).toISOString();
    result.entries = lines.map((line) => ({ timestamp: new Date(line.time).toISOString(), container: line.container, log: line.text }));
    result.truncated = ctx.quirk('logs-truncated-always-false') ? false : cut || snapshot.droppedBytes > 0;
    // Every byte the container wrote, before `lines` and the cap cut it (the document's reading).
    result.totalBytes = snapshot.totalBytes;
    result.source = 'live';
    result.containers = containerNames(record);
    return reply(200, result);
  };
}
