import { describe, expect, it } from 'vitest';
import { serdeJsonError } from './serde-json-error.ts';

// serde_json 1.x, as serde_json::from_slice reports these bodies.
const SERDE: Array<[string, string]> = [
  ['', 'EOF while parsing a value at line 1 column 0'],
  ['{', 'EOF while parsing an object at line 1 column 1'],
  ['{"command": ', 'EOF while parsing a value at line 1 column 12'],
  ['[1,', 'EOF while parsing a value at line 1 column 3'],
  ['{"a":"x', 'EOF while parsing a string at line 1 column 7'],
  ['x', 'expected value at line 1 column 1'],
  ['{command: 1}', 'key must be a string at line 1 column 2'],
  ['{"a" 1}', 'expected `:` at line 1 column 6'],
  ['{"a":1 "b":2}', 'expected `,` or `}` at line 1 column 8'],
  ['[1 2]', 'expected `,` or `]` at line 1 column 4'],
  ['{"a":1}x', 'trailing characters at line 1 column 8'],
  ['{\n  "a": }', 'expected value at line 2 column 8'],
];

describe("serde_json's errors", () => {
  it.each(SERDE)('%j -> %s', (body, expected) => {
    expect(serdeJsonError(body)).toBe(expected);
  });
});
