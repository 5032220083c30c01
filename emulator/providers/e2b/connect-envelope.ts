import type { Frame } from '../../kernel/frames.ts';

/**
 * The Connect protocol's envelope, which frames each message of a streaming call: one flags
 * byte, the message's length as 4 bytes big-endian, then the message (JSON here). Flag 0x02
 * marks the last envelope of a response, which holds the end-of-stream JSON instead of a
 * message; 0x01 would mark a compressed message, which the SDK never sends.
 */
export const END_STREAM = 0x02;
const COMPRESSED = 0x01;

export function envelope(value: unknown, flags = 0): Frame {
  const json = Buffer.from(JSON.stringify(value));
  const data = Buffer.allocUnsafe(5 + json.length);
  data[0] = flags;
  data.writeUInt32BE(json.length, 1);
  json.copy(data, 5);
  return { data, payload: value };
}

/** The end of a stream: `{}`, or `{ error: { code, message } }` for a call that failed. */
export function endOfStream(error?: { code: string; message: string }): Frame {
  return envelope(error ? { error } : {}, END_STREAM);
}

export type Unenveloped = { ok: true; value: unknown } | { ok: false; message: string };

/** The one message of a streaming request's body. */
export function readEnvelope(body: Buffer): Unenveloped {
  if (body.length < 5) return { ok: false, message: `protocol error: incomplete envelope: ${body.length} bytes` };
  if (body[0] & COMPRESSED) return { ok: false, message: 'protocol error: received compressed message without the connect-content-encoding header' };
  const length = body.readUInt32BE(1);
  if (body.length !== 5 + length) return { ok: false, message: `protocol error: promised ${length} bytes in enveloped message, got ${body.length - 5} bytes` };
  try {
    return { ok: true, value: JSON.parse(body.subarray(5).toString('utf8')) };
  } catch (error) {
    return { ok: false, message: `unmarshal message: ${(error as Error).message}` };
  }
}
