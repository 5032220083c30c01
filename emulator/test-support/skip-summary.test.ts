import { describe, expect, it } from 'vitest';
import { skipSummary } from './skip-summary.ts';

describe('the skip summary at the end of npm test', () => {
  it('groups skips by their reason, from ctx.skip notes and from the names, with counts and files', () => {
    const text = skipSummary([
      { file: 'contracts/blaxel/blaxel.contract.test.ts', fullName: 'blaxel contract > live [skipped: set BL_API_KEY to check the live provider] > a', note: undefined },
      { file: 'contracts/blaxel/blaxel.contract.test.ts', fullName: 'blaxel contract > live [skipped: set BL_API_KEY to check the live provider] > b' },
      { file: 'contracts/agentbox/agentbox.contract.test.ts', fullName: 'x > container', note: 'no Docker engine' },
      { file: 'emulator/openapi/drift.test.ts', fullName: 'drift > something' },
      { file: 'emulator/cli/cli.test.ts', fullName: 'drift > seed [skipped: the references (a folder) are not there]' },
    ]);
    expect(text.split('\n')).toEqual([
      'Skipped 5 tests, by reason:',
      '     2  set BL_API_KEY to check the live provider  (contracts/blaxel/blaxel.contract.test.ts)',
      '     1  no Docker engine  (contracts/agentbox/agentbox.contract.test.ts)',
      '     1  skipped without a reason (it.skip, or a condition not named)  (emulator/openapi/drift.test.ts)',
      '     1  the references (a folder) are not there  (emulator/cli/cli.test.ts)',
    ]);
  });

  it('says nothing when nothing was skipped', () => {
    expect(skipSummary([])).toBe('');
  });
});
