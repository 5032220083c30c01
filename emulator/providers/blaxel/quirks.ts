import { quirkSwitch, type ProviderOptions } from '../provider.ts';

/**
 * The `x-observed` quirks of specs/blaxel.yaml that the emulator reproduces in `observed`
 * fidelity. Each one is a named branch in the code; `spec` fidelity answers as the document says.
 */
export const BLAXEL_QUIRKS = [
  /** `logs` is stdout followed by stderr instead of the two streams in the order written. */
  'logs-concatenated',
  /** GET /process/{id}/logs/stream of an unknown id: 200 text/plain carrying the JSON error. */
  'logs-stream-unknown-id-200',
  /** Live log-stream output is prefixed once per read chunk, not once per line. */
  'logs-stream-prefix-per-chunk',
  /** Streaming exec answers a start failure with 200 and one `error` frame instead of a 422. */
  'exec-stream-errors-as-frames',
  /** Streaming exec also sends `[keepalive]` every 30 s, and stop/kill banners, as stdout frames. */
  'exec-stream-keepalive-as-stdout',
  /** stop/kill mark the process stopped/killed at once, before it has really ended. */
  'stop-sets-stopped-immediately',
  /** GET /process lists in no stable order (the server walks a Go map). */
  'list-order-unspecified',
  /** The logs stream of a restarting process ends with the run it was opened in. */
  'logs-stream-ends-at-first-exit',
] as const;

export type BlaxelQuirk = (typeof BLAXEL_QUIRKS)[number];

/*
 * The other x-observed entries of the documents, and why they are not switches here:
 * - list-completed-at-null, start-logs-null: the real server sends `null` where the schema
 *   requires a string, so the body would fail response validation. They need a recorded
 *   fixture, not an emulator branch.
 * - name-conflict-400, kill-exited-404, logs-404-says-pid, signal-exit-code-minus-one,
 *   exit-code-zero-while-running, wait-timeout-keeps-running, exec-stream-ndjson: our document
 *   states the observed behaviour as the contract, so both fidelities answer the same.
 * - sandbox-api-checks-no-credentials: the emulator stands for the edge gateway as well; auth
 *   is governed by whether a token is configured, not by the fidelity.
 */

export function blaxelQuirks(options: Pick<ProviderOptions, 'fidelity' | 'quirks'>): (name: BlaxelQuirk) => boolean {
  return quirkSwitch(options, BLAXEL_QUIRKS);
}
