export type Verdict = 'PASS' | 'MISS' | 'INFO' | 'SKIP';

/** One comparison against a target, repeated in the summary at the end. */
export interface Check {
  name: string;
  /** The measured ratio (or absolute value) as printed. */
  value: string;
  target: string;
  verdict: Verdict;
  note?: string;
}

export function verdict(pass: boolean): Verdict {
  return pass ? 'PASS' : 'MISS';
}

/** Left-aligned columns, two spaces apart; numbers read fine left-aligned at these widths. */
export function table(rows: string[][], indent = '  '): string {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, cell.length)));
  return rows.map((row) => indent + row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i]))).join('  ').trimEnd()).join('\n');
}

export function out(line = ''): void {
  process.stdout.write(`${line}\n`);
}

export function heading(index: number, total: number, title: string): void {
  out();
  out(`[${index}/${total}] ${title}`);
}

export function summary(checks: Check[]): string {
  const rows = [['check', 'measured', 'target', 'verdict'], ...checks.map((c) => [c.name, c.value, c.target, c.verdict + (c.note ? ` (${c.note})` : '')])];
  return table(rows);
}
