import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isLargeAnswer, jsonByteLength, jsonChunks } from './json-chunks.ts';

describe('jsonChunks', () => {
  it('joins to exactly what JSON.stringify gives, for any JSON value and piece size', () => {
    // Strings of any UTF-16 units, lone surrogates and pairs included, so a slice boundary
    // falling inside a pair would show.
    const anyString = fc.string({ unit: 'binary', maxLength: 40 });
    const values = fc.letrec((tie) => ({
      value: fc.oneof(
        { depthSize: 'small' },
        anyString,
        fc.double(),
        fc.integer(),
        fc.boolean(),
        fc.constant(null),
        fc.constant(undefined),
        fc.date({ noInvalidDate: true }),
        fc.array(tie('value'), { maxLength: 5 }),
        fc.dictionary(anyString, tie('value'), { maxKeys: 5 }),
      ),
    })).value;
    fc.assert(
      fc.property(values, fc.integer({ min: 1, max: 16 }), (value, size) => {
        const whole = JSON.stringify(value);
        const pieces = [...jsonChunks(value, size)];
        expect(pieces.join('')).toBe(whole ?? '');
        if (whole !== undefined) expect(jsonByteLength(value, size)).toBe(Buffer.byteLength(whole));
      }),
      { numRuns: 2000 },
    );
  });

  it('keeps each piece of a 16 MiB NUL string near the piece size, where the whole is 96 MiB', () => {
    const value = { lines: ['\0'.repeat(16 * 1024 * 1024)] };
    let longest = 0;
    let total = 0;
    for (const piece of jsonChunks(value)) {
      longest = Math.max(longest, piece.length);
      total += piece.length;
    }
    expect(total).toBe(6 * 16 * 1024 * 1024 + '{"lines":[""]}'.length);
    // A slice of 64 Ki characters escapes to at most six times that.
    expect(longest).toBeLessThanOrEqual(6 * 64 * 1024 + 16);
  });
});

describe('isLargeAnswer', () => {
  it('says large once the strings, keys and array items add up past the limit', () => {
    expect(isLargeAnswer({ lines: ['x'.repeat(10)] }, 20)).toBe(false);
    expect(isLargeAnswer({ lines: ['x'.repeat(30)] }, 20)).toBe(true);
    expect(isLargeAnswer({ lines: Array.from({ length: 30 }, () => '') }, 20)).toBe(true);
    expect(isLargeAnswer({ n: 1, ok: true, none: null }, 20)).toBe(false);
  });
});
