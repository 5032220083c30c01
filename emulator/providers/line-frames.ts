import { Buffer } from 'node:buffer';
import type { FrameBatch } from '../kernel/frames.ts';

// The frames of a follow stream are one per output line, and a process writing fast completes
// hundreds of lines per read. These build the frames of one read's lines as one batch, with the
// text around each line worked out once, so that the common case costs one pass over the read's
// text rather than an object, a JSON.stringify and a template per line.

/** Text around each frame on the wire, e.g. SSE's `event: output\ndata: ` and `\n\n`. */
export interface Framing {
  before: string;
  after: string;
}

/** The lines of one read; `joined`, when given, must be `texts.join('\n')` (see LineBatch). */
export interface Lines {
  texts: readonly string[];
  joined?: string;
}

/** A line JSON.stringify leaves as it is, between quotes: no quote, backslash, control character or surrogate. */
const PLAIN = /^[^"\\\x00-\x1f\ud800-\udfff]*$/;
/** The same for lines joined by newlines. */
const PLAIN_LINES = /^[^"\\\x00-\x09\x0b-\x1f\ud800-\udfff]*$/;
/** What JSON.stringify escapes in ASCII text, but the newline that joins lines. */
const ESCAPED_ASCII = [...Array(32).keys()].filter((code) => code !== 0x0a).map((code) => String.fromCharCode(code)).concat('"', '\\');

/**
 * PLAIN_LINES.test(joined), faster for ASCII text: one native length count says the text is
 * ASCII (a surrogate counts three bytes), then a native search per character JSON escapes. The
 * regular expression alone, over every read, cost more than the rest of the framing.
 */
function plainLines(joined: string): boolean {
  if (Buffer.byteLength(joined, 'utf8') !== joined.length) return PLAIN_LINES.test(joined);
  for (const char of ESCAPED_ASCII) if (joined.includes(char)) return false;
  return true;
}

/** Stands in for the line while the rest of the payload is rendered; its JSON text cannot occur elsewhere. */
const MARK = '\u0000line\u0000';
const MARK_JSON = JSON.stringify(MARK);

/**
 * One frame per line, `${before}${JSON.stringify(build(line))}${after}`, the payload being
 * `build(line)`: an object that holds the line in one string property and must be the same for
 * every line otherwise (Tensorlake's output events, AgentBox's log entries): the check relies on
 * it. Undefined for no lines.
 */
export function jsonLineBatch({ texts: lines, joined }: Lines, build: (line: string) => object, framing: Framing): FrameBatch | undefined {
  if (lines.length === 0) return undefined;
  const sample = build(MARK) as Record<string, unknown>;
  // The property that holds the line, when it is a top-level one: the check may then judge one
  // frame for all (see FrameBatch.varies).
  const property = Object.keys(sample).find((key) => sample[key] === MARK);
  const varies = property === undefined ? undefined : [property];
  const json = JSON.stringify(sample);
  const at = json.indexOf(MARK_JSON);
  if (at === -1 || json.indexOf(MARK_JSON, at + 1) !== -1) {
    // The line is not in exactly one place: render each frame whole.
    const render = (line: string) => `${framing.before}${JSON.stringify(build(line))}${framing.after}`;
    return batchOf(lines, render, build, undefined, undefined);
  }
  const open = framing.before + json.slice(0, at);
  const close = json.slice(at + MARK_JSON.length) + framing.after;
  const render = (line: string) => open + (PLAIN.test(line) ? `"${line}"` : JSON.stringify(line)) + close;
  const between = `"${close}${open}"`;
  let data: string;
  if (joined !== undefined && plainLines(joined)) {
    // The read's text as it came, each newline turned into the end of one frame and the start
    // of the next: one pass over the text, where the lines were each tested and then joined.
    data = `${open}"${joined.replaceAll('\n', between)}"${close}`;
  } else {
    const plain = joined === undefined && lines.every((line) => PLAIN.test(line));
    data = plain ? `${open}"${lines.join(between)}"${close}` : lines.map(render).join('');
  }
  return batchOf(lines, render, build, data, varies);
}

/** One frame per line, `${prefix}${line}\n`, the payload being `${prefix}${line}` (Blaxel's logs stream). */
export function textLineBatch({ texts: lines, joined }: Lines, prefix: string): FrameBatch | undefined {
  if (lines.length === 0) return undefined;
  const payload = (line: string) => prefix + line;
  const body = joined !== undefined ? joined.replaceAll('\n', `\n${prefix}`) : lines.join(`\n${prefix}`);
  return batchOf(lines, (line) => `${prefix}${line}\n`, payload, `${prefix}${body}\n`, []);
}

function batchOf(
  lines: readonly string[],
  render: (line: string) => string,
  payload: (line: string) => unknown,
  data: string | undefined,
  varies: readonly string[] | undefined,
): FrameBatch {
  return {
    varies,
    count: lines.length,
    data: data ?? lines.map(render).join(''),
    head: (n) => lines.slice(0, n).map(render).join(''),
    payload: (i) => payload(lines[i]),
  };
}
