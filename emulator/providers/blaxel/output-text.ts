import { STREAMS, type OutputLog, type StreamName } from '../../core/output-log.ts';

/** The line the sandbox-api puts in front of output it had to cut. */
export const TRUNCATION_MARKER = '[... truncated, see the process log file for the full output ...]\n';

/** The last `maxBytes` of one stream, with the marker in front when anything was left out. */
export function streamText(log: OutputLog, stream: StreamName, maxBytes: number): string {
  return remembered(log, `${stream} ${maxBytes}`, () => buildStreamText(log, stream, maxBytes));
}

function buildStreamText(log: OutputLog, stream: StreamName, maxBytes: number): string {
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
  return remembered(log, `merged ${maxBytes}`, () => buildMergedText(log, maxBytes));
}

function buildMergedText(log: OutputLog, maxBytes: number): string {
  const skip = { stdout: 0, stderr: 0 };
  let cut = false;
  for (const stream of STREAMS) {
    skip[stream] = Math.max(0, log.bytesHeld(stream) - maxBytes);
    if (skip[stream] > 0 || log.dropped(stream) > 0) cut = true;
  }
  // One decoder per stream: a character split across two reads of one stream is decoded whole
  // even when the other stream wrote in between. Shared between calls (this one runs to its end
  // without yielding, and ends flushed); a flush first clears what a failed call could leave.
  const decoders = STREAM_DECODERS;
  for (const stream of STREAMS) decoders[stream].decode();
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

/** Decoders made once: a TextDecoder per call was a visible cost of every GET /process. */
const UTF8 = new TextDecoder();
const STREAM_DECODERS: Record<StreamName, TextDecoder> = { stdout: new TextDecoder(), stderr: new TextDecoder() };

function utf8(data: Buffer): string {
  return UTF8.decode(data);
}

/**
 * Logs holding more than this are decoded on every call: the texts built from a log stay in
 * memory as long as the log, so only small ones (most commands' output) are kept.
 */
const REMEMBER_BYTES = 16 * 1024;

/** The texts built from a log, valid while it is in the same state (see remembered). */
interface Built {
  nextSeq: number;
  held: [number, number];
  dropped: [number, number];
  texts: Map<string, string>;
}

const built = new WeakMap<OutputLog, Built>();

/**
 * A text built from a log, built again only when the log changed: a client polling a finished
 * process (GET /process/{id} until it is done, then once more) had its output decoded on every
 * call. A log changes only by an append, which takes the next sequence number (and may drop
 * bytes); the held and dropped counts are compared too, so no change goes unseen.
 */
function remembered(log: OutputLog, key: string, build: () => string): string {
  const heldOut = log.bytesHeld('stdout');
  const heldErr = log.bytesHeld('stderr');
  if (heldOut + heldErr > REMEMBER_BYTES) return build();
  const dropOut = log.dropped('stdout');
  const dropErr = log.dropped('stderr');
  let memo = built.get(log);
  if (
    !memo ||
    memo.nextSeq !== log.nextSeq ||
    memo.held[0] !== heldOut ||
    memo.held[1] !== heldErr ||
    memo.dropped[0] !== dropOut ||
    memo.dropped[1] !== dropErr
  ) {
    memo = { nextSeq: log.nextSeq, held: [heldOut, heldErr], dropped: [dropOut, dropErr], texts: new Map() };
    built.set(log, memo);
  }
  let text = memo.texts.get(key);
  if (text === undefined) {
    text = build();
    memo.texts.set(key, text);
  }
  return text;
}
