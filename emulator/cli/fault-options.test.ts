import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseStartArgs, UsageError } from './start-options.ts';

// Fault rules as `start` reads them, from --fault and the config file. Whether a rule is sound
// is checkFaultRule's, tested in emulator/faults/check-fault-rule.test.ts.

describe('start --fault', () => {
  it('takes one rule per flag, as JSON, repeatable', async () => {
    const { options } = await parseStartArgs(['--fault', '{"match":{"operationId":"getProcess"},"status":503,"times":1}', '--fault', '{"latencyMs":50}']);
    expect(options.faults).toEqual([{ match: { operationId: 'getProcess' }, status: 503, times: 1 }, { latencyMs: 50 }]);
  });

  it('defaults to no faults', async () => {
    expect((await parseStartArgs([])).options.faults).toEqual([]);
  });

  it('answers bad JSON with a one-line usage error', async () => {
    const error = await parseStartArgs(['--fault', '{status:503}']).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UsageError);
    expect((error as Error).message).toMatch(/^Failed to read --fault '\{status:503\}': it is not valid JSON \(.+\)\. Quote the rule/);
    expect((error as Error).message).not.toContain('\n');
  });

  it('answers a rule it cannot apply with a one-line usage error naming the field', async () => {
    const error = await parseStartArgs(['--fault', '{"status":1000}']).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UsageError);
    expect((error as Error).message).toBe(
      `Failed to read --fault '{"status":1000}': 'status' must be an integer from 200 to 599, not 1000. See FaultRule (emulator/faults/fault-rule.ts) for the fields.`,
    );
  });

  it('takes faults from the config file too, before the flags', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'faults-config-'));
    try {
      const file = join(dir, 'emulator.yaml');
      await writeFile(file, 'faults:\n  - match: { provider: tensorlake }\n    reset: true\n');
      const { options } = await parseStartArgs(['--config', file, '--fault', '{"status":502}']);
      expect(options.faults).toEqual([{ match: { provider: 'tensorlake' }, reset: true }, { status: 502 }]);
      await writeFile(file, 'faults:\n  - { reset: maybe }\n');
      await expect(parseStartArgs(['--config', file])).rejects.toThrow(`Failed to read a fault rule in the config file ${file}: 'reset' is not true or false.`);
      await writeFile(file, 'faults: { reset: true }\n');
      await expect(parseStartArgs(['--config', file])).rejects.toThrow("'faults' must be a list of fault rules");
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
