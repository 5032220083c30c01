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
