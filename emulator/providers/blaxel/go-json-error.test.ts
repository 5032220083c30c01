import { describe, expect, it } from 'vitest';
import { goJsonError } from './go-json-error.ts';

// Go 1.22's encoding/json, as json.NewDecoder(body).Decode(&v) and json.Unmarshal report them.
const GO: Array<[string, string]> = [
  ['', 'EOF'],
  ['   \n', 'EOF'],
  ['{', 'unexpected EOF'],
  ['{"command": ', 'unexpected EOF'],
  ['{"command":"ec', 'unexpected EOF'],
  ['tru', 'unexpected EOF'],
  ['x', "invalid character 'x' looking for beginning of value"],
  ['{"command": }', "invalid character '}' looking for beginning of value"],
  ['{command:"x"}', "invalid character 'c' looking for beginning of object key string"],
  ["{'command':1}", "invalid character '\\'' looking for beginning of object key string"],
  ['{"a" 1}', "invalid character '1' after object key"],
  ['{"a":1 "b":2}', `invalid character '"' after object key:value pair`],
  ['[1 2]', "invalid character '2' after array element"],
  ['trx', "invalid character 'x' in literal true (expecting 'u')"],
  ['nul!', "invalid character '!' in literal null (expecting 'l')"],
  ['{"a":"\\q"}', "invalid character 'q' in string escape code"],
  ['{"a":"\\u12x4"}', "invalid character 'x' in \\u hexadecimal character escape"],
  ['"a\nb"', "invalid character '\\n' in string literal"],
  ['-x', "invalid character 'x' in numeric literal"],
  ['1.x', "invalid character 'x' after decimal point in numeric literal"],
  ['1ex', "invalid character 'x' in exponent of numeric literal"],
  ['{"a":1}x', "invalid character 'x' after top-level value"],
  ['01', "invalid character '1' after top-level value"],
];

describe("Go's JSON errors", () => {
  it.each(GO)('%j -> %s', (body, expected) => {
    expect(goJsonError(body)).toBe(expected);
  });
});
