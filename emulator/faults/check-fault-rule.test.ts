import { describe, expect, it } from 'vitest';
import { checkFaultRule } from './check-fault-rule.ts';

describe('checkFaultRule', () => {
  it('returns a sound rule unchanged', () => {
    const rule = { match: { provider: 'blaxel', operationId: 'getProcess', method: 'get', path: '^/process/' }, latencyMs: 0, status: 503, times: 1 };
    expect(checkFaultRule(rule)).toBe(rule);
    expect(checkFaultRule({ reset: true })).toEqual({ reset: true });
    expect(checkFaultRule({ cutAfterFrames: 0 })).toEqual({ cutAfterFrames: 0 });
  });

  it.each([
    [null, 'it is not an object'],
    [[], 'it is not an object'],
    [{ status: 500, delay: 1 }, "it has an unknown field 'delay'"],
    [{ match: 'x', status: 500 }, "'match' is not an object"],
    [{ match: { operation: 'x' }, status: 500 }, "it has an unknown field 'match.operation'"],
    [{ match: { method: 1 }, status: 500 }, "'match.method' is not a string"],
    [{ match: { path: '[' }, status: 500 }, "'match.path' is not a regular expression"],
    [{ latencyMs: -1 }, "'latencyMs' must be an integer from 0 up, not -1"],
    [{ status: 600 }, "'status' must be an integer from 200 to 599, not 600"],
    [{ cutAfterFrames: 1.5 }, "'cutAfterFrames' must be an integer from 0 up, not 1.5"],
    [{ status: 500, times: 0 }, "'times' must be an integer from 1 up, not 0"],
    [{ reset: 'yes' }, "'reset' is not true or false"],
    [{ match: { provider: 'blaxel' } }, 'it has no fault'],
  ])('refuses %j: %s', (value, reason) => {
    expect(() => checkFaultRule(value)).toThrow(`Failed to read the fault rule: ${reason}`);
  });
});
