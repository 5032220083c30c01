import type { ManagedProcess } from '../core/managed-process.ts';
import type { StreamName } from '../core/output-log.ts';
import { DROPPED_HEADER } from '../kernel/emulator-headers.ts';

/** DROPPED_HEADER for an answer carrying these streams of `proc`; empty when nothing was dropped. */
export function droppedHeader(proc: ManagedProcess, streams: readonly StreamName[]): Record<string, string> {
  let dropped = 0;
  for (const stream of streams) dropped += proc.output.dropped(stream);
  return dropped > 0 ? { [DROPPED_HEADER]: String(dropped) } : {};
}
