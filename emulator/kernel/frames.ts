// What a streamed answer is made of, for providers, the pipeline's checks and the transports.

/** One frame of a streamed answer: the bytes to send, and the payload the spec describes. */
export interface Frame {
  data: string | Uint8Array;
  /** Checked against the stream's frame schema; undefined when the frame has no payload. */
  payload?: unknown;
}

/**
 * Several frames of a stream at once: the lines of one output chunk. A process writing fast
 * completes hundreds of lines per read, and one item per line cost a trip through every async
 * layer (provider, check, transport) per line. A batch travels as one item and is rendered in
 * one go, while checks and cuts still count its frames one by one.
 */
export interface FrameBatch {
  /** How many frames the batch holds; at least one. */
  readonly count: number;
  /** The bytes of all its frames, in order. */
  readonly data: string;
  /** The bytes of the first n frames, for a cut that falls inside the batch. */
  head(n: number): string;
  /** The payload of frame i (0 <= i < count), built when the check asks for it. */
  payload(i: number): unknown;
  /**
   * Where the payloads differ, when they differ only in one string: its path of property names
   * ([] for a payload that is itself the string). When the frame schema cannot tell one string
   * from another there, the check judges one frame for all.
   */
  readonly varies?: readonly string[];
}

/** What a stream yields: a frame, or a batch of them. */
export type StreamItem = Frame | FrameBatch;

export function isBatch(item: StreamItem): item is FrameBatch {
  return 'count' in item;
}

/** How many frames an item holds: what a cut counts. */
export function framesIn(item: StreamItem): number {
  return isBatch(item) ? item.count : 1;
}

/** The bytes of the first n frames of an item (n >= framesIn(item) gives them all). */
export function headOf(item: StreamItem, n: number): string | Uint8Array {
  if (!isBatch(item)) return item.data;
  return n >= item.count ? item.data : item.head(n);
}

/**
 * Thrown by a stream's frames to end it as a dropped connection, not a clean end: what a client
 * of a machine that went away sees (E2B's envd when its sandbox is killed). Transports cut the
 * connection there, after the frames before it; it is not the emulator failing.
 */
export class StreamCut extends Error {
  constructor(reason: string) {
    super(`terminated: ${reason}`);
    this.name = 'StreamCut';
  }
}
