import { describe, expect, it } from 'vitest';
import { blindToStringAt } from './string-blind.ts';

const OUTPUT_EVENT = { type: 'object', required: ['line', 'timestamp'], properties: { line: { type: 'string' }, timestamp: { type: 'integer', format: 'int64' }, stream: { type: 'string', enum: ['stdout', 'stderr'] } } };
const EOF_EVENT = { type: 'object', additionalProperties: false, properties: {} };

describe('blindToStringAt', () => {
  it('is blind where only the type is asked, even inside a oneOf, whatever the other properties say', () => {
    expect(blindToStringAt({ oneOf: [OUTPUT_EVENT, EOF_EVENT] }, ['line'])).toBe(true);
    expect(blindToStringAt({ type: 'string' }, [])).toBe(true);
    expect(blindToStringAt({ type: 'object', properties: { log: { type: 'string' }, _timestamp: { type: 'string', format: 'date-time' } } }, ['log'])).toBe(true);
  });

  it('sees every keyword that reads a string, wherever it may apply', () => {
    for (const keyword of [{ pattern: '^a' }, { format: 'uuid' }, { minLength: 1 }, { maxLength: 9 }, { enum: ['a'] }, { const: 'a' }]) {
      expect(blindToStringAt({ properties: { line: { type: 'string', ...keyword } } }, ['line'])).toBe(false);
      expect(blindToStringAt({ allOf: [{ properties: { line: keyword } }] }, ['line'])).toBe(false);
      expect(blindToStringAt({ if: { properties: { line: keyword } }, then: {} }, ['line'])).toBe(false);
      expect(blindToStringAt({ not: { properties: { line: keyword } } }, ['line'])).toBe(false);
      expect(blindToStringAt({ patternProperties: { '^x': keyword } }, ['line'])).toBe(false);
      expect(blindToStringAt({ additionalProperties: keyword }, ['line'])).toBe(false);
      expect(blindToStringAt({ type: 'string', ...keyword }, [])).toBe(false);
    }
  });

  it('is not blind where it cannot follow: a $ref left in place, a discriminator', () => {
    expect(blindToStringAt({ properties: { line: { $ref: '#/x' } } }, ['line'])).toBe(false);
    expect(blindToStringAt({ discriminator: { propertyName: 'line' }, oneOf: [OUTPUT_EVENT] }, ['line'])).toBe(false);
  });

  it('follows nested properties and survives schemas that refer to themselves', () => {
    const node: Record<string, unknown> = { type: 'object', properties: { text: { type: 'string' } } };
    (node.properties as Record<string, unknown>).child = node;
    expect(blindToStringAt(node, ['child', 'child', 'text'])).toBe(true);
    const capped: Record<string, unknown> = { type: 'object', properties: { text: { type: 'string', maxLength: 5 } } };
    (capped.properties as Record<string, unknown>).child = capped;
    expect(blindToStringAt(capped, ['child', 'child', 'text'])).toBe(false);
    const selfish: Record<string, unknown> = { properties: { line: { type: 'string' } } };
    selfish.allOf = [selfish];
    expect(blindToStringAt(selfish, ['line'])).toBe(true);
    expect(blindToStringAt({ properties: { a: { properties: { b: { maxLength: 3 } } } } }, ['a', 'b'])).toBe(false);
  });
});
