import { LineSplitter, splitLines, type TextLine } from '../../core/line-splitter.ts';
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

/**
 * `tail -f` of a container's log: the last `tail` lines held (all when tail <= 0), then each line
 * as it is completed, until the container has ended and its output is drained, or the signal
 * aborts. One splitter runs over backlog and live chunks, so a line half written when the follow
 * starts comes out whole.
 */
export async function* followContainerLog(run: ContainerRun, tail: number, signal: AbortSignal): AsyncGenerator<ContainerLine> {
  const log = run.process.output;
  const splitter = new LineSplitter();
  const held = log.chunks();
  const ended = log.closed;
  const backlog: TextLine[] = [];
  for (const chunk of held) backlog.push(...splitter.push(chunk));
  if (ended) backlog.push(...splitter.end());
  const wanted = backlog.filter((line) => line.text !== '');
  for (const line of tail > 0 ? wanted.slice(-tail) : wanted) yield toLine(run.name, line);
  if (ended) return;
  const fromSeq = held.length > 0 ? held[held.length - 1].seq + 1 : 0;
  for await (const chunk of log.follow({ fromSeq, signal })) {
    for (const line of splitter.push(chunk)) if (line.text !== '') yield toLine(run.name, line);
  }
  if (signal.aborted) return;
  for (const line of splitter.end()) if (line.text !== '') yield toLine(run.name, line);
}
