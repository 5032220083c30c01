import { describe, expect, it } from 'vitest';
import { e2bSuite } from '../../e2b/e2b.suite.ts';
import { liveTarget } from './live-target.ts';

// The live target promises to create nothing on the user's E2B account, where each sandbox costs
// money: a scenario that makes a sandbox must be in its skips. Checked by name against the
// suite, so a new scenario that creates one cannot slip through.
describe('the live E2B target', () => {
  it('runs only the scenarios that create no sandbox, and the envd ones once a sandbox is named', () => {
    const running = (env: NodeJS.ProcessEnv) => {
      const { skips = {} } = liveTarget('e2b', env);
      return e2bSuite.scenarios.map((s) => s.name).filter((name) => !(name in skips));
    };
    expect(running({ E2B_API_KEY: 'e2b_test' })).toEqual(['unknown sandboxes', 'auth']);
    expect(running({ E2B_API_KEY: 'e2b_test', E2B_SANDBOX_ID: 'given' })).toEqual(['commands', 'background', 'stdin', 'pty', 'unknown pids', 'files', 'watch', 'unknown sandboxes', 'auth']);
  });
});
