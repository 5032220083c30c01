import { describe, expect, it } from 'vitest';
import { createSchemaAjv } from './schema-ajv.ts';

describe('createSchemaAjv', () => {
  for (const version of ['3.0.3', '3.1.0']) {
    it(`judges formats the same whatever value came before (${version})`, () => {
      const ajv = createSchemaAjv(version);
      const dateTime = ajv.compile({ type: 'string', format: 'date-time' });
      const int32 = ajv.compile({ type: 'integer', format: 'int32' });
      // Each answer comes after a different one and after the same one: a check that remembers
      // its last answer must still answer for the value it is given.
      const seen = ['2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z', 'yesterday', 'yesterday', '2026-02-30T00:00:00Z', '2026-11-22T17:49:05Z'].map((v) => dateTime(v));
      expect(seen).toEqual([true, true, false, false, false, true]);
      expect([1, 2 ** 31, 2 ** 31, 7].map((v) => int32(v))).toEqual([true, false, false, true]);
    });
  }
});
