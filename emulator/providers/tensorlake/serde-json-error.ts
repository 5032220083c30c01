import { jsonFault, type JsonFault } from '../json-syntax.ts';

/**
 * The error serde_json gives for a body that is not JSON, as the daemon's framework (axum's
 * Json extractor) puts it after `Failed to parse the request body as JSON: `: what it expected,
 * then `at line L column C` of the byte it stopped at (`expected value at line 1 column 13`,
 * `EOF while parsing an object at line 1 column 12`).
 */
export function serdeJsonError(body: string): string {
  const fault = jsonFault(body) ?? { context: 'after top-level value', offset: body.length, inside: 'value' as const };
  const { line, column } = position(body, fault);
  return `${serdeWords(fault)} at line ${line} column ${column}`;
}

function serdeWords(fault: JsonFault): string {
  if (fault.char === undefined) {
    const what = { value: 'a value', object: 'an object', array: 'a list', string: 'a string' }[fault.inside];
    return `EOF while parsing ${what}`;
  }
  const context = fault.context;
  if (context === 'looking for beginning of value') return 'expected value';
  if (context === 'looking for beginning of object key string') return 'key must be a string';
  if (context === 'after object key') return 'expected `:`';
  if (context === 'after object key:value pair') return 'expected `,` or `}`';
  if (context === 'after array element') return 'expected `,` or `]`';
  if (context === 'after top-level value') return 'trailing characters';
  if (context === 'in string literal') return 'control character (\\u0000-\\u001F) found while parsing a string';
  if (context.startsWith('in string escape') || context.startsWith('in \\u')) return 'invalid escape';
  if (context.startsWith('in literal')) return 'expected ident';
  return 'invalid number';
}

/** serde's line (from 1) and column (from 1, the byte it stopped at; 0 before the first). */
function position(body: string, fault: JsonFault): { line: number; column: number } {
  const upTo = body.slice(0, fault.char === undefined ? fault.offset : fault.offset + 1);
  const lines = upTo.split('\n');
  return { line: lines.length, column: Buffer.byteLength(lines[lines.length - 1]) };
}

/**
 * serde_json's error for a body whose byte at `offset` is not UTF-8. Inside a string, serde
 * checks the string's bytes once it has read the closing quote, and reports the quote's column:
 * `invalid unicode code point at line 1 column 19`; a string that never closes is `EOF while
 * parsing a string`. Outside a string the byte cannot start a value (`expected value`), which is
 * serde's answer where a value was due; after a key or a value it would word the comma or colon
 * it expected, which is not told apart here.
 */
export function serdeUtf8Error(bytes: Uint8Array, offset: number): string {
  const QUOTE = 0x22;
  const BACKSLASH = 0x5c;
  // Is the byte inside a string? Walk from the start, strings and escapes only.
  let inString = false;
  for (let i = 0; i < offset; i++) {
    if (inString && bytes[i] === BACKSLASH) i++;
    else if (bytes[i] === QUOTE) inString = !inString;
  }
  const at = (index: number) => {
    let lineStart = 0;
    let line = 1;
    for (let i = 0; i < index; i++) if (bytes[i] === 0x0a) (line++, (lineStart = i + 1));
    return `line ${line} column ${index - lineStart}`;
  };
  if (!inString) return `expected value at ${at(offset + 1)}`;
  for (let i = offset; i < bytes.length; i++) {
    if (bytes[i] === BACKSLASH) i++;
    else if (bytes[i] === QUOTE) return `invalid unicode code point at ${at(i + 1)}`;
  }
  return `EOF while parsing a string at ${at(bytes.length)}`;
}
