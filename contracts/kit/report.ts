import { CHECKS, type CheckResult } from './check-results.ts';
import type { SuiteReport } from './contract-suite.ts';

const MARK = { pass: 'pass', fail: 'FAIL', skip: 'skip', 'n/a': '-' } as const;

function byOperation(results: CheckResult[]): Map<string, CheckResult[]> {
  const rows = new Map<string, CheckResult[]>();
  for (const r of results) rows.set(r.operationId, [...(rows.get(r.operationId) ?? []), r]);
  return rows;
}

export function counts(report: SuiteReport): { pass: number; fail: number; skip: number } {
  const c = { pass: 0, fail: 0, skip: 0 };
  for (const r of report.results) if (r.status !== 'n/a') c[r.status]++;
  return c;
}

/** The conformance table: operation by check, then every failure and skip with its reason. */
export function formatTable(report: SuiteReport): string {
  const rows = byOperation(report.results);
  const width = Math.max(9, ...[...rows.keys()].map((k) => k.length));
  const header = ['operation'.padEnd(width), ...CHECKS.map((c) => c.padEnd(12))].join(' ');
  const lines = [`${report.provider} contract on ${report.target}`, header, '-'.repeat(header.length)];
  for (const [op, results] of rows) {
    lines.push([op.padEnd(width), ...CHECKS.map((c) => MARK[results.find((r) => r.check === c)!.status].padEnd(12))].join(' '));
  }
  const failures = report.results.filter((r) => r.status === 'fail');
  if (failures.length > 0) {
    lines.push('', 'Failures:');
    for (const f of failures) lines.push(`  ${f.operationId} ${f.check}: ${f.reason}`);
  }
  const skips = [...skippedScenarioLines(report), ...dedupeSkips(report.results)];
  if (skips.length > 0) {
    lines.push('', 'Skipped:');
    for (const s of skips) lines.push(`  ${s}`);
  }
  const c = counts(report);
  lines.push('', `${c.pass} passed, ${c.fail} failed, ${c.skip} skipped (${report.durationMs} ms)`);
  return lines.join('\n');
}

function skippedScenarioLines(report: SuiteReport): string[] {
  return (report.skippedScenarios ?? []).map((s) => `scenario '${s.name}': ${s.reason}`);
}

/** Skips grouped by reason, so 'not a stream' is said once per operation, not per check. */
function dedupeSkips(results: CheckResult[]): string[] {
  const byReason = new Map<string, string[]>();
  for (const r of results) {
    if (r.status !== 'skip') continue;
    const key = `${r.operationId}: ${r.reason}`;
    byReason.set(key, [...(byReason.get(key) ?? []), r.check]);
  }
  return [...byReason].map(([key, checks]) => `${key} (${checks.length === CHECKS.length ? 'all checks' : checks.join(', ')})`);
}

function xml(text: string): string {
  return text.replace(/[<>&'"]/g, (ch) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', "'": '&apos;', '"': '&quot;' })[ch]!);
}

/** JUnit XML: one test suite per report, one test case per operation and check. */
export function toJUnit(reports: SuiteReport[]): string {
  const suites = reports.map((report) => {
    const c = counts(report);
    const cases = report.results.filter((r) => r.status !== 'n/a').map((r) => {
      const name = xml(`${r.operationId} ${r.check}`);
      const classname = xml(`${report.provider}.${report.target}`);
      if (r.status === 'fail') return `    <testcase classname="${classname}" name="${name}"><failure message="${xml(r.reason ?? '')}"/></testcase>`;
      if (r.status === 'skip') return `    <testcase classname="${classname}" name="${name}"><skipped message="${xml(r.reason ?? '')}"/></testcase>`;
      return `    <testcase classname="${classname}" name="${name}"/>`;
    });
    return [
      `  <testsuite name="${xml(`${report.provider} contract on ${report.target}`)}" tests="${c.pass + c.fail + c.skip}" failures="${c.fail}" skipped="${c.skip}" time="${(report.durationMs / 1000).toFixed(3)}">`,
      ...cases,
      '  </testsuite>',
    ].join('\n');
  });
  return ['<?xml version="1.0" encoding="UTF-8"?>', '<testsuites>', ...suites, '</testsuites>', ''].join('\n');
}

/** A Markdown summary for a CI job page or a pull request. */
export function toMarkdown(reports: SuiteReport[]): string {
  const out: string[] = [];
  for (const report of reports) {
    const c = counts(report);
    out.push(`## ${report.provider} contract on ${report.target}`, '', `${c.pass} passed, ${c.fail} failed, ${c.skip} skipped.`, '');
    out.push(`| operation | ${CHECKS.join(' | ')} |`, `| --- | ${CHECKS.map(() => '---').join(' | ')} |`);
    for (const [op, results] of byOperation(report.results)) {
      out.push(`| ${op} | ${CHECKS.map((ch) => MARK[results.find((r) => r.check === ch)!.status]).join(' | ')} |`);
    }
    const failures = report.results.filter((r) => r.status === 'fail');
    if (failures.length > 0) {
      out.push('', '### Failures', '');
      for (const f of failures) out.push(`- \`${f.operationId}\` ${f.check}: ${f.reason?.replaceAll('|', '\\|')}`);
    }
    const skips = [...skippedScenarioLines(report), ...dedupeSkips(report.results)];
    if (skips.length > 0) {
      out.push('', '### Skipped', '');
      for (const s of skips) out.push(`- ${s}`);
    }
    out.push('');
  }
  return out.join('\n');
}
