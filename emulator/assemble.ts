import { EmulatorApp, type AppOptions } from './app.ts';
import { checkFaultRule } from './faults/check-fault-rule.ts';
import { installFaults, type FaultController } from './faults/fault-injector.ts';
import type { FaultRule } from './faults/fault-rule.ts';
import { PROVIDER_NAMES } from './providers/provider.ts';
import { quirkList, unknownQuirks } from './providers/emulated-quirks.ts';
import { installFixtures, type FixtureController } from './replay/install-fixtures.ts';
import { loadFixtures, type FixtureSource } from './replay/load-fixture.ts';

/** What an emulator is made of, whatever carries its requests (HTTP, msw, the recorder). */
export interface AssembleOptions extends AppOptions {
  /** Faults in force from the first request (the CLI's --fault). Default: none. */
  faults?: readonly FaultRule[];
  /**
   * Recorded fixtures to replay (objects, files, or folders of *.yaml): a request a fixture
   * recorded gets the recorded answer, every other one goes to the emulator. Default: none.
   */
  fixtures?: readonly FixtureSource[];
}

/** An emulator without a transport: its app and the interceptors plugged into it. */
export interface AssembledEmulator {
  readonly app: EmulatorApp;
  /** Injected faults: latency, a replaced status, a reset connection, a cut stream. */
  readonly faults: FaultController;
  /** The fixtures being replayed (none unless `fixtures` was given). */
  readonly fixtures: FixtureController;
  /**
   * Back to how it started, between tests: every process ended, every sandbox forgotten, the
   * faults added since removed (those of the options and the fixtures put back), every recording
   * replayed from its first answer.
   */
  reset(): Promise<void>;
  /** Ends every process the emulator started and removes its temporary root. */
  close(): Promise<void>;
}

/**
 * The composition root: the one place an emulator is built from options. Transports are
 * adapters over what it returns (emulator/index.ts for HTTP, transports/msw/setup-emulator.ts
 * for msw, the recorder for its checks).
 *
 * A request meets, in this order:
 *   1. the fault injector (outermost, so a fault acts on a recorded answer as on the emulator's),
 *   2. fixture replay (a recorded request gets its recorded answer, unvalidated),
 *   3. the pipeline: route, authenticate, validate, the provider's handler, validate the answer.
 * Observed quirks are not a layer: each changes a provider's behaviour from inside (a stream
 * that ends early), so the providers get the fidelity and the quirk names from AppOptions.
 *
 * Options are checked before anything starts: a bad fault rule, an unknown quirk or a broken
 * fixture leaves no process and no temporary folder behind.
 */
export async function assembleEmulator(options: AssembleOptions = {}): Promise<AssembledEmulator> {
  for (const rule of options.faults ?? []) checkFaultRule(rule);
  const providers = options.providers ?? PROVIDER_NAMES;
  const unknown = unknownQuirks(options.quirks ?? [], providers);
  if (unknown.length > 0) {
    throw new Error(`Failed to start the emulator: no provider served reproduces the quirk${unknown.length > 1 ? 's' : ''} ${unknown.map((q) => `'${q}'`).join(', ')}. Known: ${quirkList(providers)}.`);
  }
  const loaded = await loadFixtures(options.fixtures ?? [], { specsDir: options.specsDir });
  const app = await EmulatorApp.create(options);
  // The injector first: the app consults interceptors in the order they were installed.
  const faults = installFaults(app, options.faults);
  const fixtures = installFixtures(app, loaded, faults);
  let closing: Promise<void> | undefined;
  return {
    app,
    faults,
    fixtures,
    async reset() {
      // A fault left over from one test would break the next one in a way hard to trace.
      faults.clear();
      for (const rule of options.faults ?? []) faults.add(rule);
      await app.reset();
      fixtures.reset();
    },
    close() {
      closing ??= app.close();
      return closing;
    },
  };
}
