import type { Reporter, TestModule } from 'vitest/node';

/** A skipped test as the summary needs it. */
export interface SkippedTest {
  file: string;
  /** The test's name with its describe blocks: reasons are often written there. */
  fullName: string;
  /** The reason given to `ctx.skip(reason)`, when one was. */
  note?: string;
}

/**
 * Why tests were skipped, one line per reason with its count and files, for the end of the run:
 * the default output counts skips but hides their reasons, so a suite that checks nothing (no
 * Docker engine, no credentials) looks the same as one that ran. The reason is the note given to
 * ctx.skip, or the bracketed `[skipped: ...]` / `(skipped: ...)` the name carries.
 */
export function skipSummary(skipped: readonly SkippedTest[]): string {
  if (skipped.length === 0) return '';
  const byReason = new Map<string, { count: number; files: Set<string> }>();
  for (const test of skipped) {
    // Greedy to the last bracket: a reason may hold brackets of its own.
    const named = /\[skipped: (.+)\]/.exec(test.fullName) ?? /\(skipped: (.+)\)/.exec(test.fullName);
    const reason = test.note ?? named?.[1] ?? 'skipped without a reason (it.skip, or a condition not named)';
    const entry = byReason.get(reason) ?? { count: 0, files: new Set<string>() };
    entry.count++;
    entry.files.add(test.file);
    byReason.set(reason, entry);
  }
  const lines = [...byReason.entries()]
    .sort((a, b) => b[1].count - a[1].count)
    .map(([reason, { count, files }]) => `  ${String(count).padStart(4)}  ${reason}  (${[...files].sort().join(', ')})`);
  return [`Skipped ${skipped.length} test${skipped.length === 1 ? '' : 's'}, by reason:`, ...lines].join('\n');
}

/** Prints skipSummary after vitest's own summary. */
export default class SkipSummaryReporter implements Reporter {
  onTestRunEnd(modules: ReadonlyArray<TestModule>): void {
    const skipped: SkippedTest[] = [];
    for (const module of modules) {
      for (const test of module.children.allTests()) {
        const result = test.result();
        if (result.state !== 'skipped') continue;
        skipped.push({ file: module.relativeModuleId, fullName: test.fullName, note: result.note });
      }
    }
    const text = skipSummary(skipped);
    if (text) process.stdout.write(`\n${text}\n`);
  }
}
