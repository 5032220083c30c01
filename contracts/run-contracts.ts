import { DEFAULT_SPECS_DIR } from '../emulator/openapi/specs-dir.ts';
import { runSuite, type SuiteReport } from './kit/contract-suite.ts';
import type { ContractTarget } from './kit/contract-target.ts';
import { openTarget, targetUnavailable } from './kit/targets/index.ts';
import { SUITES } from './suites.ts';

/** The providers with a contract suite. */
export const CONTRACT_PROVIDERS = Object.keys(SUITES);

export interface RunContractsOptions {
  /** blaxel, tensorlake or agentbox. */
  provider: string;
  /**
   * What to check. `inprocess`: the emulator in this process (msw). `http`: the emulator's CLI
   * on a free port. `container`: the emulator's image (testcontainers, a Docker engine).
   * `live`: the real provider, with credentials from the environment. A URL: an emulator (or
   * anything with its layout) already running there. Or a target of your own. Default: `http`.
   */
  target?: string | ContractTarget;
  /** For the emulator targets: spec (default) or observed. */
  fidelity?: 'spec' | 'observed';
  /** Headers for every request to a URL target, e.g. a token. Default: none. */
  headers?: Record<string, string>;
  /** Longest wait for a stream frame or a stream's end. Default 10 s. */
  streamTimeoutMs?: number;
  /** Where the OpenAPI documents are. Default: the package's own. */
  specsDir?: string;
}

/**
 * Why a target cannot run here (no Docker engine for `container`, no credentials for `live`),
 * or undefined when it can.
 */
export function contractTargetUnavailable(target: string, provider: string): Promise<string | undefined> {
  return targetUnavailable(target, provider);
}

/**
 * Runs a provider's contract suite against a target and reports each operation's checks. It
 * fails (rejects) only when the suite cannot run at all: an unknown provider or a target that
 * is unavailable here. A target that departs from the contract is a report with failures.
 */
export async function runContracts(options: RunContractsOptions): Promise<SuiteReport> {
  const suite = SUITES[options.provider];
  if (!suite) throw new Error(`Failed to run the contract suite: unknown provider '${options.provider}'. Use ${CONTRACT_PROVIDERS.join(', ')}.`);
  const requested = options.target ?? 'http';
  let target: ContractTarget;
  if (typeof requested === 'string') {
    const unavailable = await targetUnavailable(requested, suite.provider);
    if (unavailable) throw new Error(`Failed to run the ${suite.provider} contract on ${requested}: ${unavailable}.`);
    target = await openTarget(requested, suite.provider, { ...suite.emulator, fidelity: options.fidelity, headers: options.headers });
  } else {
    target = requested;
  }
  try {
    return await runSuite(suite, target, { specsDir: options.specsDir ?? DEFAULT_SPECS_DIR, streamTimeoutMs: options.streamTimeoutMs });
  } finally {
    // A target given as an object is the caller's to close.
    if (typeof requested === 'string') await target.close();
  }
}
