import { describe, expect, it } from 'vitest';
import { BLAXEL_QUIRKS } from '../emulator/providers/blaxel/quirks.ts';
import { TENSORLAKE_QUIRKS } from '../emulator/providers/tensorlake/quirks.ts';
import { AGENTBOX_QUIRKS } from '../emulator/providers/agentbox/quirks.ts';
import { DEFAULT_SPECS_DIR } from '../emulator/openapi/specs-dir.ts';
import { runSuite, type SuiteReport } from './kit/contract-suite.ts';
import { openTarget } from './kit/targets/index.ts';
import { SUITES } from './suites.ts';

// `--fidelity observed` turns on every quirk the emulator reproduces: the providers' known
// departures from their own documents. Run against it, the contract suites must report exactly
// those departures, each at the check the quirk breaks; in `spec` fidelity they report none
// (the per-provider contract tests). A quirk here that fails no check, or a failure that no quirk
// explains, is a bug in the suite or the emulator.

interface Departure {
  quirk: string;
  operationId: string;
  check: string;
  /** The failure reason must say this, so the right departure is the one seen. */
  says: RegExp;
}

const DEPARTURES: Record<string, Departure[]> = {
  blaxel: [
    { quirk: 'logs-concatenated', operationId: 'getProcessLogs', check: 'behaviour', says: /logs keeps the real order.*got "a\\nc\\nb\\n"/ },
    { quirk: 'logs-stream-unknown-id-200', operationId: 'streamProcessLogs', check: 'behaviour', says: /an unknown id answered 200/ },
    { quirk: 'logs-stream-prefix-per-chunk', operationId: 'streamProcessLogs', check: 'behaviour', says: /every line carries its stream prefix/ },
    { quirk: 'logs-stream-ends-at-first-exit', operationId: 'streamProcessLogs', check: 'behaviour', says: /restarted once carries both runs: \["stdout:run"\]/ },
    { quirk: 'exec-stream-errors-as-frames', operationId: 'startProcess', check: 'behaviour', says: /a streamed exec that cannot start answered 200/ },
    { quirk: 'stop-sets-stopped-immediately', operationId: 'stopProcess', check: 'behaviour', says: /ignoring SIGTERM reports stopped right after the stop/ },
  ],
  tensorlake: [
    { quirk: 'kill-exited-process-500', operationId: 'sandbox_process_kill', check: 'behaviour', says: /500/ },
    { quirk: 'output-stdout-then-stderr', operationId: 'sandbox_process_output', check: 'behaviour', says: /alpha.*charlie.*bravo|order/ },
    { quirk: 'captured-output-unknown-pid-200-empty', operationId: 'sandbox_process_stdout', check: 'behaviour', says: /200/ },
    { quirk: 'captured-output-unknown-pid-200-empty', operationId: 'sandbox_process_stderr', check: 'behaviour', says: /200/ },
    { quirk: 'follow-replay-timestamp-zero', operationId: 'sandbox_process_stdout_follow', check: 'behaviour', says: /timestamp|capture time/ },
    { quirk: 'follow-unknown-pid-200-eof', operationId: 'sandbox_process_stderr_follow', check: 'behaviour', says: /200/ },
    { quirk: 'follow-unknown-pid-200-eof', operationId: 'sandbox_process_output_follow', check: 'behaviour', says: /200/ },
  ],
  agentbox: [
    { quirk: 'logs-truncated-always-false', operationId: 'GetSandboxLogs', check: 'behaviour', says: /truncated is false/ },
    { quirk: 'logs-captured-at-absent', operationId: 'GetSandboxLogs', check: 'behaviour', says: /capturedAt/ },
    { quirk: 'logs-lines-bounds-not-enforced', operationId: 'GetSandboxLogs', check: 'behaviour', says: /10001|-1/ },
    { quirk: 'logs-stream-unknown-id-meta-only', operationId: 'StreamSandboxLogs', check: 'behaviour', says: /unknown sandbox/ },
    { quirk: 'list-limit-clamped-to-100', operationId: 'ListSandboxes', check: 'behaviour', says: /100/ },
    { quirk: 'exec-timeout-clamped', operationId: 'ExecSandboxCommand', check: 'behaviour', says: /timeoutSeconds/ },
  ],
};

/** Quirks the suites cannot see, and why: each has a fixture that shows it instead. */
const NOT_SEEN_BY_THE_SUITE: Record<string, string> = {
  'exec-stream-keepalive-as-stdout': 'the keepalive frame comes after 30 s of silence, longer than a contract run waits',
  'list-order-unspecified': 'an unstable order cannot be told from a stable one in a single list',
};

const QUIRKS: Record<string, readonly string[]> = { blaxel: BLAXEL_QUIRKS, tensorlake: TENSORLAKE_QUIRKS, agentbox: AGENTBOX_QUIRKS };

describe.each(Object.keys(DEPARTURES))('%s in observed fidelity', (provider) => {
  let report: SuiteReport;

  it('runs the contract suite against the emulator with every quirk on', async () => {
    const suite = SUITES[provider];
    const target = await openTarget('inprocess', provider, { ...suite.emulator, fidelity: 'observed' });
    try {
      report = await runSuite(suite, target, { specsDir: DEFAULT_SPECS_DIR });
    } finally {
      await target.close();
    }
  }, 120_000);

  it('reports exactly the known departures, each where its quirk breaks the contract', () => {
    const failed = report.results.filter((r) => r.status === 'fail');
    const expected = DEPARTURES[provider];
    expect(failed.map((f) => `${f.operationId} ${f.check}`).sort()).toEqual([...new Set(expected.map((d) => `${d.operationId} ${d.check}`))].sort());
    for (const departure of expected) {
      const reason = failed.find((f) => f.operationId === departure.operationId && f.check === departure.check)?.reason ?? '';
      expect(reason, `${departure.quirk} at ${departure.operationId}`).toMatch(departure.says);
    }
  });

  it('accounts for every quirk the provider reproduces', () => {
    const seen = new Set(DEPARTURES[provider].map((d) => d.quirk));
    const unaccounted = QUIRKS[provider].filter((q) => !seen.has(q) && !(q in NOT_SEEN_BY_THE_SUITE));
    expect(unaccounted).toEqual([]);
  });
});
