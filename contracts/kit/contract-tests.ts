import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_SPECS_DIR } from '../../emulator/openapi/specs-dir.ts';
import type { CheckResult } from './check-results.ts';
import { runSuite, type ContractSuite, type SuiteReport } from './contract-suite.ts';
import type { ContractTarget } from './contract-target.ts';
import { formatTable } from './report.ts';
import { suiteOperations } from './suite-operations.ts';
import { openTarget, targetUnavailable } from './targets/index.ts';

export interface TargetPlan {
  kind: 'inprocess' | 'http' | 'container' | 'live';
  /**
   * Scenarios this target does not run, each with its written reason (the Hono pattern: one
   * suite, every target with an explicit skip list).
   */
  skips: Record<string, string>;
}

/**
 * Declares one vitest block per target: the suite runs once against the target, then each
 * operation is a test that fails with the reasons of its failed checks. A target that cannot
 * run here (no Docker engine, no live credentials) is skipped with its reason in the name.
 */
export async function defineContractTests(suite: ContractSuite, plans: TargetPlan[]): Promise<void> {
  const operations = await suiteOperations(suite, DEFAULT_SPECS_DIR);
  for (const plan of plans) {
    const unavailable = await targetUnavailable(plan.kind, suite.provider);
    const title = `${suite.provider} contract on ${plan.kind}`;
    if (unavailable) {
      describe.skip(`${title} [skipped: ${unavailable}]`, () => {
        it.each(operations)('%s', () => undefined);
      });
      continue;
    }
    describe(title, () => {
      let target: ContractTarget | undefined;
      let report: SuiteReport;
      beforeAll(async () => {
        target = await openTarget(plan.kind, suite.provider, { ...suite.emulator });
        target.skips = { ...target.skips, ...plan.skips };
        report = await runSuite(suite, target, { specsDir: DEFAULT_SPECS_DIR });
        // The table in the test output is the same one `npm run contracts` prints.
        if (report.results.some((r) => r.status === 'fail')) console.log(formatTable(report));
      }, 180_000);
      afterAll(async () => {
        await target?.close();
      }, 60_000);

      it.for(operations)('%s', (operationId, context) => {
        const results = report.results.filter((r) => r.operationId === operationId);
        const failures = results.filter((r) => r.status === 'fail').map(describeResult);
        expect(failures).toEqual([]);
        if (results.every((r) => r.status === 'skip' || r.status === 'n/a')) context.skip(results.find((r) => r.status === 'skip')?.reason);
      });
    });
  }
}

function describeResult(r: CheckResult): string {
  return `${r.check}: ${r.reason}`;
}
