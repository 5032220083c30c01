import { quirkSwitch, type ProviderOptions } from '../provider.ts';

/**
 * The `x-observed` quirks of specs/tensorlake.yaml this provider reproduces. `observed` fidelity
 * turns all of them on; `--quirk <name>` turns one on. Each is one clearly named branch in the
 * handler it concerns.
 *
 * Not reproduced, because the answer they describe is not in our document and strict response
 * validation would (rightly) refuse it: `framework-errors-text-plain` (text/plain framework
 * errors), `pid-segment-non-numeric-400-text` (400 text/plain for a name segment) and
 * `process-info-without-handle` (ProcessInfo without its required `handle`).
 */
export const TENSORLAKE_QUIRKS = [
  /** DELETE of an exited process answers 500 `Process N is not running` (old daemon). */
  'kill-exited-process-500',
  /** `/output` lists every stdout line, then every stderr line (old daemon). */
  'output-stdout-then-stderr',
  /** `/stdout`, `/stderr`, `/output` of an unknown pid answer 200 with no lines (old daemon). */
  'captured-output-unknown-pid-200-empty',
  /** Lines replayed at the start of a follow carry `timestamp: 0` (docs example, old daemon). */
  'follow-replay-timestamp-zero',
  /** A follow of an unknown pid answers 200 with an immediate `eof` (old daemon). */
  'follow-unknown-pid-200-eof',
] as const;

export type TensorlakeQuirk = (typeof TENSORLAKE_QUIRKS)[number];

export type QuirkCheck = (name: TensorlakeQuirk) => boolean;

export function tensorlakeQuirks(options: Pick<ProviderOptions, 'fidelity' | 'quirks'>): QuirkCheck {
  return quirkSwitch(options, TENSORLAKE_QUIRKS);
}
