/**
 * JSON text of an answer, in pieces, for answers too large to build as one string.
 *
 * 16 MiB of captured NUL bytes is one 16 MiB string in a Tensorlake `{lines}` answer, and
 * JSON.stringify makes a 96 MB string of it (`\u0000` each), then node a 96 MB Buffer: four such
 * GETs at once took the emulator past 1 GiB. The pieces here are at most about CHUNK characters
 * of JSON each, so an answer costs what its value costs plus one piece, whatever it escapes to.
 * The text is byte for byte what JSON.stringify gives (no spacing, toJSON honoured, undefined and
 * functions left out of objects and null in arrays), so clients and fixtures cannot tell.
 */

/** About the most characters of JSON in one piece. */
export const CHUNK = 64 * 1024;

/**
 * Characters of string content past which an answer goes out in pieces. Below it one
 * JSON.stringify is cheaper than walking the value, and costs at most six times this.
 */
export const LARGE_ANSWER_CHARS = 1024 * 1024;

/** Whether the strings in `value` add up to more than `limit` characters (stops as soon as they do). */
export function isLargeAnswer(value: unknown, limit = LARGE_ANSWER_CHARS): boolean {
  let left = limit;
  const visit = (v: unknown): boolean => {
    if (typeof v === 'string') {
      left -= v.length;
      return left < 0;
    }
    if (v === null || typeof v !== 'object') return false;
    if (Array.isArray(v)) {
      // Each element costs at least its comma, so a long array of numbers counts too.
      left -= v.length;
      if (left < 0) return true;
      for (const item of v) if (visit(item)) return true;
      return false;
    }
    for (const key of Object.keys(v)) {
      left -= key.length;
      if (left < 0 || visit((v as Record<string, unknown>)[key])) return true;
    }
    return false;
  };
  return visit(value);
}

/** Yields JSON.stringify(value) in pieces of about `size` characters. */
export function* jsonChunks(value: unknown, size = CHUNK): Generator<string> {
  let pending = '';
  // Small tokens gather in `pending`; a long string flushes it and goes out in slices.
  function* emit(piece: string): Generator<string> {
    pending += piece;
    if (pending.length >= size) {
      yield pending;
      pending = '';
    }
  }
  function* string(s: string): Generator<string> {
    if (s.length <= size) {
      yield* emit(JSON.stringify(s));
      return;
    }
    yield* emit('"');
    for (let start = 0; start < s.length; ) {
      let end = Math.min(start + size, s.length);
      // Never part a surrogate pair: alone, each half would be escaped as \udxxx.
      const last = s.charCodeAt(end - 1);
      if (end < s.length && last >= 0xd800 && last <= 0xdbff) end += end - 1 > start ? -1 : 1;
      const inner = JSON.stringify(s.slice(start, end));
      yield* emit(inner.slice(1, -1));
      start = end;
    }
    yield* emit('"');
  }
  function* node(v: unknown): Generator<string> {
    if (typeof v === 'string') {
      yield* string(v);
      return;
    }
    if (v === null || typeof v !== 'object') {
      // Numbers, booleans, null (non-finite numbers become null, as JSON.stringify has it).
      yield* emit(JSON.stringify(v) ?? 'null');
      return;
    }
    if (Array.isArray(v)) {
      yield* emit('[');
      for (let i = 0; i < v.length; i += 1) {
        if (i > 0) yield* emit(',');
        const item = ownJson(v[i], String(i));
        if (left(item)) yield* emit('null');
        else yield* node(item);
      }
      yield* emit(']');
      return;
    }
    yield* emit('{');
    let first = true;
    for (const k of Object.keys(v)) {
      const item = ownJson((v as Record<string, unknown>)[k], k);
      if (left(item)) continue;
      yield* emit(first ? `${JSON.stringify(k)}:` : `,${JSON.stringify(k)}:`);
      first = false;
      yield* node(item);
    }
    yield* emit('}');
  }
  const top = ownJson(value, '');
  if (!left(top)) yield* node(top);
  if (pending) yield pending;
}

/** A value as JSON sees it: what its toJSON gives, if it has one (a Date, say). */
function ownJson(v: unknown, key: string): unknown {
  if (v !== null && typeof v === 'object' && typeof (v as { toJSON?: unknown }).toJSON === 'function') {
    return (v as { toJSON(key: string): unknown }).toJSON(key);
  }
  return v;
}

/** What JSON has no text for: left out of objects, null in arrays. */
function left(v: unknown): boolean {
  return v === undefined || typeof v === 'function' || typeof v === 'symbol';
}

/** The UTF-8 length of JSON.stringify(value), measured piece by piece. */
export function jsonByteLength(value: unknown, size = CHUNK): number {
  let bytes = 0;
  for (const piece of jsonChunks(value, size)) bytes += Buffer.byteLength(piece);
  return bytes;
}
