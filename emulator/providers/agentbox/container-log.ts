import { LineSplitter, splitLines, type LineBatch, type TextLine } from '../../core/line-splitter.ts';
import type { ContainerRun } from './sandbox-store.ts';

/** One line of a container's log, as the kubelet keeps it: both streams, in the order written. */
export interface ContainerLine {
  container: string;
  /** When the chunk that completed the line was read (ms since the epoch). */
  time: number;
  text: string;
}

function toLine(container: string, line: TextLine): ContainerLine {
  return { container, time: line.time, text: line.text };
}

export interface ContainerLogSnapshot {
  /** The non-empty lines still held, oldest first. */
  lines: ContainerLine[];
  /** Every byte the container wrote, held or dropped by the cap. */
  totalBytes: number;
  /** Bytes the cap dropped from the head of the log. */
  droppedBytes: number;
}

/** What the container's log holds now; empty lines are left out, as the server does. */
export function snapshotContainerLog(run: ContainerRun): ContainerLogSnapshot {
  const log = run.process.output;
  const lines = splitLines(log.chunks())
    .filter((line) => line.text !== '')
    .map((line) => toLine(run.name, line));
  return {
    lines,
    totalBytes: log.total('stdout') + log.total('stderr'),
    droppedBytes: log.dropped('stdout') + log.dropped('stderr'),
  };
}

/** Lines of a container's log completed by one read, all with that read's time. */
export interface ContainerLines {
  container: string;
  time: number;
  texts: string[];
  /** `texts.join('\n')`, when at hand (see LineBatch). */
  joined?: string;
}

/**
 * `tail -f` of a container's log: the last `tail` lines held (all when tail <= 0), then the lines
 * of each read as they are completed, until the container has ended and its output is drained,
 * or the signal aborts. One splitter runs over backlog and live chunks, so a line half written
 * when the follow starts comes out whole. Empty lines are left out, as the server does.
 */
export async function* followContainerLog(run: ContainerRun, tail: number, signal: AbortSignal): AsyncGenerator<ContainerLines> {
  const log = run.process.output;
  const splitter = new LineSplitter();
  const held = log.chunks();
  const ended = log.closed;
  const backlog: ContainerLines[] = [];
  for (const chunk of held) backlog.push(linesOf(run.name, splitter.push(chunk)));
  if (ended) for (const rest of splitter.end()) backlog.push(linesOf(run.name, rest));
  yield* lastLines(backlog, tail > 0 ? tail : Infinity);
  if (ended) return;
  const fromSeq = held.length > 0 ? held[held.length - 1].seq + 1 : 0;
  for await (const chunk of log.follow({ fromSeq, signal })) {
    const lines = linesOf(run.name, splitter.push(chunk));
    if (lines.texts.length > 0) yield lines;
  }
  if (signal.aborted) return;
  for (const rest of splitter.end()) {
    const lines = linesOf(run.name, rest);
    if (lines.texts.length > 0) yield lines;
  }
}

function linesOf(container: string, batch: LineBatch): ContainerLines {
  if (!batch.texts.includes('')) return { container, time: batch.time, texts: batch.texts, joined: batch.joined };
  return { container, time: batch.time, texts: batch.texts.filter((text) => text !== '') };
}

/** The last `count` lines of the batches, still grouped by read. */
function lastLines(batches: ContainerLines[], count: number): ContainerLines[] {
  const out: ContainerLines[] = [];
  let left = count;
  for (let i = batches.length - 1; i >= 0 && left > 0; i--) {
    const { texts } = batches[i];
    if (texts.length === 0) continue;
    out.push(texts.length <= left ? batches[i] : { container: batches[i].container, time: batches[i].time, texts: texts.slice(texts.length - left) });
    left -= texts.length;
  }
  return out.reverse();
}
