import { randomBytes } from 'node:crypto';
import { CHECKS, ResultRecorder, type CheckName, type CheckResult } from './check-results.ts';
import type { ContractTarget } from './contract-target.ts';
import { ScenarioStop, SpecClient, type SurfaceSpec } from './spec-client.ts';
import type { EmulatorSetup } from './targets/index.ts';

export interface ScenarioContext {
  /** A sandbox name for this run: the live target's own, or a fresh one. */
  sandbox: string;
  /** A name no earlier run used, e.g. for processes. */
  unique(prefix: string): string;
  /** Runs after the scenario, failed or not: the suite removes what it started. */
  cleanup(task: () => Promise<unknown>): void;
}

export interface Scenario {
  name: string;
  /** The operations it exercises: a target that skips the scenario skips these, with its reason. */
  operations: string[];
  run(client: SpecClient, context: ScenarioContext): Promise<void>;
}

export interface ContractSuite {
  provider: string;
  surfaces(specsDir: string): Promise<SurfaceSpec[]>;
  scenarios: Scenario[];
  /** How the emulator targets start for this suite. Default: as the emulator starts with no options. */
  emulator?: EmulatorSetup;
}

export interface SuiteReport {
  provider: string;
  target: string;
  durationMs: number;
  results: CheckResult[];
  /** Scenarios the target skipped, with its reason: shown even when other scenarios covered their checks. */
  skippedScenarios: Array<{ name: string; reason: string }>;
}

export interface RunOptions {
  specsDir: string;
  /** Longest wait for a stream frame or a stream's end. Default 10 s. */
  streamTimeoutMs?: number;
  /** Only these scenarios (by name). Default: all. */
  only?: string[];
}

/** Runs every scenario of a suite against a target and folds the observations into results. */
export async function runSuite(suite: ContractSuite, target: ContractTarget, options: RunOptions): Promise<SuiteReport> {
  const started = Date.now();
  const recorder = new ResultRecorder();
  const surfaces = await suite.surfaces(options.specsDir);
  const client = new SpecClient(target, surfaces, recorder, options.streamTimeoutMs);
  const runId = randomBytes(3).toString('hex');
  let counter = 0;
  const skippedScenarios: SuiteReport['skippedScenarios'] = [];
  for (const scenario of suite.scenarios) {
    if (options.only && !options.only.includes(scenario.name)) continue;
    const skipped = target.skips?.[scenario.name];
    if (skipped) {
      for (const op of scenario.operations) recorder.skip(op, skipped);
      skippedScenarios.push({ name: scenario.name, reason: skipped });
      continue;
    }
    const cleanups: Array<() => Promise<unknown>> = [];
    const context: ScenarioContext = {
      sandbox: target.sandbox ?? `contract-${runId}`,
      unique: (prefix) => `${prefix}-${runId}-${++counter}`,
      cleanup: (task) => cleanups.push(task),
    };
    try {
      if (process.env.CONTRACT_DEBUG) process.stderr.write(`scenario ${scenario.name}\n`);
      await scenario.run(client, context);
    } catch (error) {
      if (!(error instanceof ScenarioStop)) {
        // An assertion the scenario could not even make: blame the operation it was about.
        recorder.fail(scenario.operations[0], 'behaviour', `scenario '${scenario.name}' failed: ${(error as Error).message}`);
      }
    } finally {
      for (const task of cleanups.reverse()) await task().catch(() => undefined);
    }
  }
  const results = recorder.results(client.operationIds, (operationId, check) => notApplicable(client, operationId, check));
  return { provider: suite.provider, target: target.name, durationMs: Date.now() - started, results, skippedScenarios };
}

function notApplicable(client: SpecClient, operationId: string, check: CheckName): string | undefined {
  if (check === 'frames' && !client.isStream(operationId)) return 'not a stream';
  return undefined;
}

export { CHECKS };
