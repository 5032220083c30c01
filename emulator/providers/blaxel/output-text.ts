import { STREAMS, type OutputLog, type StreamName } from '../../core/output-log.ts';

/** The line the sandbox-api puts in front of output it had to cut. */
export const TRUNCATION_MARKER = '[... truncated, see the process log file for the full output ...]\n';

/** The last `maxBytes` of one stream, with the marker in front when anything was left out. */
export function streamText(log: OutputLog, stream: StreamName, maxBytes: number): string {
  const held = log.bytes(stream);
  const skip = Math.max(0, held.length - maxBytes);
  const cut = log.dropped(stream) > 0 || skip > 0;
  const text = utf8(cut ? held.subarray(startOfCharacter(held, skip)) : held);
  return cut ? TRUNCATION_MARKER + text : text;
}

/**
 * Both streams in the order the process wrote them, each cut to its last `maxBytes` like
 * `streamText`, with one marker in front when either stream was cut.
 */
export function mergedText(log: OutputLog, maxBytes: number): string {
  const skip = { stdout: 0, stderr: 0 };
  let cut = false;
  for (const stream of STREAMS) {
    skip[stream] = Math.max(0, log.bytesHeld(stream) - maxBytes);
    if (skip[stream] > 0 || log.dropped(stream) > 0) cut = true;
  }
  // One decoder per stream: a character split across two reads of one stream is decoded whole
  // even when the other stream wrote in between.
  const decoders = { stdout: new TextDecoder(), stderr: new TextDecoder() };
  const started = { stdout: false, stderr: false };
  let text = '';
  for (const chunk of log.chunks()) {
    let data = chunk.data;
    const s = chunk.stream;
    if (skip[s] >= data.length) {
      skip[s] -= data.length;
      continue;
    }
    if (!started[s]) {
      if (cut) data = data.subarray(startOfCharacter(data, skip[s]));
      skip[s] = 0;
      started[s] = true;
    }
    text += decoders[s].decode(data, { stream: true });
  }
  for (const stream of STREAMS) text += decoders[stream].decode();
  return cut ? TRUNCATION_MARKER + text : text;
}

/** Stdout followed by stderr, each cut on its own (what the real server sends as `logs`). */
export function concatenatedText(log: OutputLog, maxBytes: number): string {
  return streamText(log, 'stdout', maxBytes) + streamText(log, 'stderr', maxBytes);
}

/** A cut inside a UTF-8 character moves forward to the next character, instead of showing U+FFFD. */
function startOfCharacter(data: Buffer, offset: number): number {
  let at = offset;
  while (at < data.length && at - offset < 3 && (data[at] & 0xc0) === 0x80) at++;
  return at;
}

function utf8(data: Buffer): string {
  return new TextDecoder().decode(data);
}
