/** Percentile by nearest rank on a copy; p in [0, 100]. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank];
}

export function median(values: readonly number[]): number {
  return percentile(values, 50);
}

export function fmtMs(ms: number): string {
  if (!Number.isFinite(ms)) return 'n/a';
  return ms >= 100 ? `${ms.toFixed(0)} ms` : ms >= 10 ? `${ms.toFixed(1)} ms` : `${ms.toFixed(2)} ms`;
}

/** `digits` decimals below 10x; a ratio compared with a target close by needs a third. */
export function fmtRatio(ratio: number, digits = 2): string {
  if (!Number.isFinite(ratio)) return 'n/a';
  return ratio >= 10 ? `${ratio.toFixed(1)}x` : `${ratio.toFixed(digits)}x`;
}

export function fmtMiB(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(bytes >= 100 * 1024 * 1024 ? 0 : 1)} MiB`;
}

export function fmtRate(bytesPerSecond: number): string {
  return `${(bytesPerSecond / 1024 / 1024).toFixed(0)} MiB/s`;
}

export function fmtCount(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}
