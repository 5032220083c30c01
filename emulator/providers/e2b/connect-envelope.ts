import type { EmuResponse } from '../../kernel/exchange.ts';
import type { Frame } from '../../kernel/frames.ts';
import { CONNECT_COMPRESSED, CONNECT_END_STREAM, encodeEnvelope } from '../../openapi/frame-splitter.ts';
import { stream } from '../respond.ts';

/**
 * The Connect protocol's envelope, which frames each message of a streaming call: one flags
 * byte, the message's length as 4 bytes big-endian, then the message (JSON here). Flag 0x02
 * marks the last envelope of a response, which holds the end-of-stream JSON instead of a
 * message; 0x01 would mark a compressed message, which the SDK never sends.
 */
export function envelope(value: unknown, flags = 0): Frame {
  return { data: encodeEnvelope(value, flags), payload: value };
}

/** The end of a stream: `{}`, or `{ error: { code, message } }` for a call that failed. */
export function endOfStream(error?: { code: string; message: string }): Frame {
  return envelope(error ? { error } : {}, CONNECT_END_STREAM);
}

/**
 * A streaming call that fails before its first message: it still answers 200, and the failure is
 * the end of the stream (Connect's way; the status is for the whole call).
 */
export function failedStream(error: { code: string; message: string }): EmuResponse {
  return stream(200, 'application/connect+json', (async function* () {
    yield endOfStream(error);
  })());
}

export type Unenveloped = { ok: true; value: unknown } | { ok: false; message: string };

/** The one message of a streaming request's body. */
export function readEnvelope(body: Buffer): Unenveloped {
  if (body.length < 5) return { ok: false, message: `protocol error: incomplete envelope: ${body.length} bytes` };
  if (body[0] & CONNECT_COMPRESSED) return { ok: false, message: 'protocol error: received compressed message without the connect-content-encoding header' };
  const length = body.readUInt32BE(1);
  if (body.length !== 5 + length) return { ok: false, message: `protocol error: promised ${length} bytes in enveloped message, got ${body.length - 5} bytes` };
  try {
    return { ok: true, value: JSON.parse(body.subarray(5).toString('utf8')) };
  } catch (error) {
    return { ok: false, message: `unmarshal message: ${(error as Error).message}` };
  }
}
