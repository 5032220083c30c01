import type { Frame, StreamItem } from '../../kernel/frames.ts';
import type { Handler, HandlerContext } from '../../kernel/exchange.ts';
import { ndjsonFrame, ndjsonLines } from '../respond.ts';
import { followContainerLog } from './container-log.ts';
import type { AgentBoxContext } from './context.ts';
import { isRuntimeSource, resolveLogTarget } from './log-target.ts';
import { ndjson } from './reply.ts';
import { NODE_NAME } from './sandbox-view.ts';

/**
 * GET /v1/sandboxes/{sandboxId}/logs/stream: NDJSON, always 200 (the server sends its headers
 * before it looks anything up). Entry lines for the backlog, then live lines while the
 * container runs; failures come in-band as `[agentbox] …` lines; the last line is the meta line.
 */
export function streamLogsHandler(ctx: AgentBoxContext): Handler {
  return (request) => ndjson(streamFrames(ctx, request));
}

async function* streamFrames(ctx: AgentBoxContext, request: HandlerContext): AsyncGenerator<StreamItem> {
  const source = isRuntimeSource(request.query.get('source')) ? 'runtime' : 'live';
  const target = resolveLogTarget(ctx, request.params.sandboxId, request.query);
  if (target.kind === 'not-found') {
    // The document reports it like every other failure; the server sends the meta line alone.
    if (!ctx.quirk('logs-stream-unknown-id-meta-only')) yield ndjsonFrame({ log: `[agentbox] ${target.message}` });
    yield metaLine(source);
    return;
  }
  if (target.kind !== 'container') {
    yield ndjsonFrame({ log: `[agentbox] ${target.message}` });
    yield metaLine(source, target.record?.podName);
    return;
  }
  const { record, run, tail } = target;
  for await (const lines of followContainerLog(run, tail, request.signal)) {
    // One entry per line; the lines of one read share their time, formatted once.
    const _timestamp = new Date(lines.time).toISOString();
    const entries = ndjsonLines(lines, (log) => ({
      _timestamp,
      container_name: lines.container,
      log,
      pod_name: record.podName,
      namespace_name: record.namespace,
      node_name: NODE_NAME,
    }));
    if (entries) yield entries;
  }
  if (request.signal.aborted) return;
  yield metaLine('live', record.podName);
}

function metaLine(source: 'live' | 'runtime', podName?: string): Frame {
  // Written by the server with `truncated` false, always; `pod_name` only when a pod was found.
  return ndjsonFrame(podName ? { _meta: true, source, truncated: false, pod_name: podName } : { _meta: true, source, truncated: false });
}
