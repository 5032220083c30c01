/** The checks the suite makes of every operation, in the order the reports show them. */
export const CHECKS = ['status', 'content-type', 'schema', 'frames', 'behaviour'] as const;
export type CheckName = (typeof CHECKS)[number];

export interface CheckResult {
  operationId: string;
  check: CheckName;
  /** n/a: the check does not apply to the operation (frames of an answer that is no stream). */
  status: 'pass' | 'fail' | 'skip' | 'n/a';
  /** Why it failed or was skipped. */
  reason?: string;
}

/**
 * Collects what the scenarios observed, per operation and check, and folds it into one result
 * each: a single failure fails the check; a check nothing exercised is a skip with its reason.
 */
export class ResultRecorder {
  private readonly passes = new Set<string>();
  private readonly failures = new Map<string, string[]>();
  private readonly skips = new Map<string, string>();

  pass(operationId: string, check: CheckName): void {
    this.passes.add(`${operationId}\u0000${check}`);
  }

  fail(operationId: string, check: CheckName, reason: string): void {
    const key = `${operationId}\u0000${check}`;
    const list = this.failures.get(key) ?? [];
    if (!list.includes(reason)) list.push(reason);
    this.failures.set(key, list);
  }

  /** Marks every check of an operation skipped, unless something already ran it. */
  skip(operationId: string, reason: string): void {
    if (!this.skips.has(operationId)) this.skips.set(operationId, reason);
  }

  check(operationId: string, check: CheckName, ok: boolean, reason: string): boolean {
    if (ok) this.pass(operationId, check);
    else this.fail(operationId, check, reason);
    return ok;
  }

  results(operationIds: readonly string[], notApplicable: (operationId: string, check: CheckName) => string | undefined): CheckResult[] {
    const out: CheckResult[] = [];
    for (const operationId of operationIds) {
      for (const check of CHECKS) {
        const key = `${operationId}\u0000${check}`;
        const failed = this.failures.get(key);
        if (failed) out.push({ operationId, check, status: 'fail', reason: failed.join('; ') });
        else if (this.passes.has(key)) out.push({ operationId, check, status: 'pass' });
        else {
          const na = notApplicable(operationId, check);
          if (na) out.push({ operationId, check, status: 'n/a', reason: na });
          else out.push({ operationId, check, status: 'skip', reason: this.skips.get(operationId) ?? 'not exercised on this target' });
        }
      }
    }
    return out;
  }
}
