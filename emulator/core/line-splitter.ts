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
  /**
   * True when the line did not end with a newline: the process ended mid-line, or the line
   * was longer than the limit and was cut into pieces.
   */
  partial: boolean;
}

export interface LineSplitterOptions {
  /**
   * Longest line kept whole, in characters. A longer line is emitted in pieces of this size,
   * so one endless line cannot grow a buffer without bound. Default: 1 MiB of characters.
   */
  maxLineLength?: number;
}

interface StreamState {
  decoder: TextDecoder;
  carry: string;
  lastTime: number;
  lastSeq: number;
}

/**
 * Turns chunks into lines, per stream. Bytes are decoded as UTF-8 with a streaming decoder,
 * so a character split across two reads is decoded whole; bytes that are not UTF-8 become
 * U+FFFD rather than vanishing.
 */
export class LineSplitter {
  private readonly max: number;
  private readonly state = new Map<StreamName, StreamState>();

  constructor(options: LineSplitterOptions = {}) {
    this.max = options.maxLineLength ?? 1024 * 1024;
  }

  push(chunk: OutputChunk): TextLine[] {
    const st = this.stateOf(chunk.stream);
    st.lastTime = chunk.time;
    st.lastSeq = chunk.seq;
    st.carry += st.decoder.decode(chunk.data, { stream: true });
    return this.drain(chunk.stream, st);
  }

  /** Flushes what is left of every stream: the last line of a process that ended mid-line. */
  end(): TextLine[] {
    const out: TextLine[] = [];
    for (const [stream, st] of this.state) {
      st.carry += st.decoder.decode();
      out.push(...this.drain(stream, st));
      if (st.carry.length > 0) {
        out.push({ stream, text: st.carry, time: st.lastTime, seq: st.lastSeq, partial: true });
        st.carry = '';
      }
    }
    return out.sort((a, b) => a.seq - b.seq);
  }

  private drain(stream: StreamName, st: StreamState): TextLine[] {
    const out: TextLine[] = [];
    let start = 0;
    for (;;) {
      const nl = st.carry.indexOf('\n', start);
      if (nl === -1) break;
      let text = st.carry.slice(start, nl);
      if (text.endsWith('\r')) text = text.slice(0, -1);
      out.push(...this.cut(stream, text, st, false));
      start = nl + 1;
    }
    st.carry = st.carry.slice(start);
    while (st.carry.length > this.max) {
      out.push({ stream, text: st.carry.slice(0, this.max), time: st.lastTime, seq: st.lastSeq, partial: true });
      st.carry = st.carry.slice(this.max);
    }
    return out;
  }

  private cut(stream: StreamName, text: string, st: StreamState, partial: boolean): TextLine[] {
    const out: TextLine[] = [];
    while (text.length > this.max) {
      out.push({ stream, text: text.slice(0, this.max), time: st.lastTime, seq: st.lastSeq, partial: true });
      text = text.slice(this.max);
    }
    out.push({ stream, text, time: st.lastTime, seq: st.lastSeq, partial });
    return out;
  }

  private stateOf(stream: StreamName): StreamState {
    let st = this.state.get(stream);
    if (!st) {
      st = { decoder: new TextDecoder('utf-8', { fatal: false }), carry: '', lastTime: 0, lastSeq: -1 };
      this.state.set(stream, st);
    }
    return st;
  }
}

/** All complete and trailing lines of a list of chunks, in merged order. */
export function splitLines(chunks: Iterable<OutputChunk>, options?: LineSplitterOptions): TextLine[] {
  const splitter = new LineSplitter(options);
  const out: TextLine[] = [];
  for (const chunk of chunks) out.push(...splitter.push(chunk));
  out.push(...splitter.end());
  return out;
}
