import type { FaultRule } from './fault-rule.ts';

const MATCH_KEYS = ['provider', 'mountId', 'operationId', 'method', 'path'] as const;
const RULE_KEYS = ['match', 'latencyMs', 'status', 'reset', 'cutAfterFrames', 'times'] as const;

/**
 * Checks a fault rule that came from outside the type checker (a CLI flag, a config file, a
 * fixture), so a typo fails when the rule is given rather than silently matching nothing.
 * Returns the rule unchanged; throws "Failed to read the fault rule: ..." naming the field.
 */
export function checkFaultRule(value: unknown): FaultRule {
  const fail = (reason: string): never => {
    throw new Error(`Failed to read the fault rule: ${reason}. See FaultRule (emulator/faults/fault-rule.ts) for the fields.`);
  };
  if (!isObject(value)) return fail('it is not an object');
  for (const key of Object.keys(value)) {
    if (!(RULE_KEYS as readonly string[]).includes(key)) fail(`it has an unknown field '${key}'`);
  }
  if (value.match !== undefined) {
    if (!isObject(value.match)) fail("'match' is not an object");
    const match = value.match as Record<string, unknown>;
    for (const [key, field] of Object.entries(match)) {
      if (!(MATCH_KEYS as readonly string[]).includes(key)) fail(`it has an unknown field 'match.${key}'`);
      if (typeof field !== 'string') fail(`'match.${key}' is not a string`);
    }
    if (typeof match.path === 'string') {
      try {
        new RegExp(match.path);
      } catch (error) {
        fail(`'match.path' is not a regular expression (${(error as Error).message})`);
      }
    }
  }
  const count = (key: string, min: number, max = Number.MAX_SAFE_INTEGER) => {
    const field = value[key];
    if (field !== undefined && !(Number.isInteger(field) && (field as number) >= min && (field as number) <= max)) {
      fail(`'${key}' must be an integer from ${min}${max === Number.MAX_SAFE_INTEGER ? ' up' : ` to ${max}`}, not ${JSON.stringify(field)}`);
    }
  };
  count('latencyMs', 0);
  // Fetch cannot represent other final statuses, and the msw transport answers with a Response.
  count('status', 200, 599);
  count('cutAfterFrames', 0);
  count('times', 1);
  if (value.reset !== undefined && typeof value.reset !== 'boolean') fail("'reset' is not true or false");
  if (value.latencyMs === undefined && value.status === undefined && !value.reset && value.cutAfterFrames === undefined) {
    fail('it has no fault (give latencyMs, status, reset or cutAfterFrames)');
  }
  return value as FaultRule;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
