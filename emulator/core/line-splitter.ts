import { StringDecoder } from 'node:string_decoder';
import type { OutputChunk, StreamName } from './output-log.ts';

/** A line of text, as the line-oriented providers (Tensorlake, AgentBox) report output. */
export interface TextLine {
  stream: StreamName;
  /** The line without its line ending. */
  text: string;
  /** When the chunk that completed the line was read (ms since the epoch). */
  time: number;
  /** Sequence number of the chunk that completed the line. */
  seq: number;
}

/**
 * The lines one chunk completed, of one stream. A process writing fast completes hundreds of
 * lines per read; they stay together, so that a follow stream can frame them in one go.
 */
export interface LineBatch {
  stream: StreamName;
  /** When the chunk that completed the lines was read (ms since the epoch). */
  time: number;
  /** Sequence number of that chunk. */
  seq: number;
  /**
   * The lines, without their endings (`\n` or `\r\n`), in order; empty when the chunk completed
   * none. A line longer than the limit comes as several pieces.
   */
  texts: string[];
  /**
   * The texts joined by `\n`, when the splitter has that string at hand (no line lost a `\r` or
   * was cut): a follow can frame the whole read with one replace instead of one join.
   */
  joined?: string;
}

export interface LineSplitterOptions {
  /**
   * Longest line kept whole, in characters. A longer line is emitted in pieces of this size,
   * so one endless line cannot grow a buffer without bound. Default: 1 MiB of characters.
   */
  maxLineLength?: number;
}

interface StreamState {
  decoder: StringDecoder;
  carry: string;
  lastTime: number;
  lastSeq: number;
}

/**
 * Turns chunks into lines, per stream. Bytes are decoded as UTF-8 with a streaming decoder,
 * so a character split across two reads is decoded whole; bytes that are not UTF-8 become
 * U+FFFD rather than vanishing.
 *
 * Node's StringDecoder, not TextDecoder: both replace bad bytes alike, but TextDecoder in
 * streaming mode is several times slower, and this runs over every byte a process writes.
 */
export class LineSplitter {
  private readonly max: number;
  private readonly state = new Map<StreamName, StreamState>();

  constructor(options: LineSplitterOptions = {}) {
    this.max = options.maxLineLength ?? 1024 * 1024;
  }

  /** The lines this chunk completed (possibly none). */
  push(chunk: OutputChunk): LineBatch {
    const st = this.stateOf(chunk.stream);
    st.lastTime = chunk.time;
    st.lastSeq = chunk.seq;
    const { texts, joined } = this.drain(st, st.decoder.write(chunk.data));
    return joined === undefined ? { stream: chunk.stream, time: chunk.time, seq: chunk.seq, texts } : { stream: chunk.stream, time: chunk.time, seq: chunk.seq, texts, joined };
  }

  /** Flushes what is left of every stream (the last line of a process that ended mid-line), by seq. */
  end(): LineBatch[] {
    const out: LineBatch[] = [];
    for (const [stream, st] of this.state) {
      const rest = st.carry + st.decoder.end();
      st.carry = '';
      if (rest.length > 0) out.push({ stream, time: st.lastTime, seq: st.lastSeq, texts: this.pieces(rest) });
    }
    return out.sort((a, b) => a.seq - b.seq);
  }

  private drain(st: StreamState, text: string): { texts: string[]; joined?: string } {
    const lastNewline = text.lastIndexOf('\n');
    let texts: string[];
    let joined: string | undefined;
    if (lastNewline === -1) {
      st.carry += text;
      texts = [];
    } else {
      // Every complete line at once: one split instead of a search and a slice per line.
      const block = st.carry + text.slice(0, lastNewline);
      st.carry = text.slice(lastNewline + 1);
      texts = block.split('\n');
      joined = block;
      if (block.includes('\r')) {
        texts = texts.map((line) => (line.endsWith('\r') ? line.slice(0, -1) : line));
        joined = undefined;
      }
      if (block.length > this.max) {
        texts = texts.flatMap((line) => this.pieces(line));
        joined = undefined;
      }
    }
    if (st.carry.length > this.max) joined = undefined;
    while (st.carry.length > this.max) {
      texts.push(st.carry.slice(0, this.max));
      st.carry = st.carry.slice(this.max);
    }
    return { texts, joined };
  }

  private pieces(line: string): string[] {
    if (line.length <= this.max) return [line];
    const out: string[] = [];
    for (let at = 0; at < line.length; at += this.max) out.push(line.slice(at, at + this.max));
    return out;
  }

  private stateOf(stream: StreamName): StreamState {
    let st = this.state.get(stream);
    if (!st) {
      st = { decoder: new StringDecoder('utf8'), carry: '', lastTime: 0, lastSeq: -1 };
      this.state.set(stream, st);
    }
    return st;
  }
}

/** The lines of a batch, one by one. */
export function linesOf(batch: LineBatch): TextLine[] {
  return batch.texts.map((text) => ({ stream: batch.stream, text, time: batch.time, seq: batch.seq }));
}

/** All complete and trailing lines of a list of chunks, in merged order. */
export function splitLines(chunks: Iterable<OutputChunk>, options?: LineSplitterOptions): TextLine[] {
  const splitter = new LineSplitter(options);
  const out: TextLine[] = [];
  const add = (batch: LineBatch) => {
    for (const text of batch.texts) out.push({ stream: batch.stream, text, time: batch.time, seq: batch.seq });
  };
  for (const chunk of chunks) add(splitter.push(chunk));
  for (const batch of splitter.end()) add(batch);
  return out;
}
