import type { ManagedProcess } from '../core/managed-process.ts';
import type { StreamName } from '../core/output-log.ts';

/**
 * Where an answer says that the output it carries is not all the process wrote. Tensorlake's
 * captured output and AgentBox's exec have no field for it, and the emulator keeps at most a cap
 * per stream (oldest bytes first out), so without this a cut answer would pass for a whole one.
 * The value is the number of bytes dropped, from the start, of the streams in the answer; the
 * header is absent when nothing was. The HTTP request log prints it too.
 */
export const DROPPED_HEADER = 'x-emulator-output-dropped';

/** The header for an answer carrying these streams of `proc`; empty when nothing was dropped. */
export function droppedHeader(proc: ManagedProcess, streams: readonly StreamName[]): Record<string, string> {
  let dropped = 0;
  for (const stream of streams) dropped += proc.output.dropped(stream);
  return dropped > 0 ? { [DROPPED_HEADER]: String(dropped) } : {};
}
