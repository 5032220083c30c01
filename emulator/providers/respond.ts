import type { EmuResponse } from '../kernel/exchange.ts';
import type { Frame, FrameBatch, StreamItem } from '../kernel/frames.ts';
import { jsonLineBatch, type Lines } from './line-frames.ts';

// Small constructors for answers, so handlers read as what they answer rather than how.

export function json(status: number, value: unknown, headers: Record<string, string> = {}): EmuResponse {
  return { status, headers: { 'content-type': 'application/json', ...headers }, body: { kind: 'json', value } };
}

export function text(status: number, value: string, contentType = 'text/plain; charset=utf-8', headers: Record<string, string> = {}): EmuResponse {
  return { status, headers: { 'content-type': contentType, ...headers }, body: { kind: 'text', value } };
}

export function empty(status: number, headers: Record<string, string> = {}): EmuResponse {
  return { status, headers };
}

export function stream(status: number, contentType: string, frames: AsyncIterable<StreamItem>, headers: Record<string, string> = {}): EmuResponse {
  return {
    status,
    headers: { 'content-type': contentType, 'cache-control': 'no-cache', 'x-accel-buffering': 'no', ...headers },
    body: { kind: 'stream', frames },
  };
}

/** One NDJSON line: the JSON text plus a newline, validated as the object it holds. */
export function ndjsonFrame(value: unknown): Frame {
  return { data: `${JSON.stringify(value)}\n`, payload: value };
}

/** One server-sent event whose data is JSON. */
export function sseFrame(value: unknown, event?: string): Frame {
  const head = event ? `event: ${event}\n` : '';
  return { data: `${head}data: ${JSON.stringify(value)}\n\n`, payload: value };
}

/** An SSE comment line, which clients ignore: keeps idle connections open through proxies. */
export function sseComment(textValue: string): Frame {
  return { data: `: ${textValue}\n\n` };
}

/** The `output`-style SSE events of a batch of lines (see jsonLineBatch); data-only when `event` is not given. */
export function sseLines(lines: Lines, build: (line: string) => object, event?: string): FrameBatch | undefined {
  return jsonLineBatch(lines, build, { before: event ? `event: ${event}\ndata: ` : 'data: ', after: '\n\n' });
}

/** The NDJSON entries of a batch of lines (see jsonLineBatch). */
export function ndjsonLines(lines: Lines, build: (line: string) => object): FrameBatch | undefined {
  return jsonLineBatch(lines, build, { before: '', after: '\n' });
}
