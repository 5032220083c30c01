import { setupServer, type SetupServer } from 'msw/node';
import type { EmulatorApp } from '../../app.ts';
import { assembleEmulator, type AssembledEmulator, type AssembleOptions } from '../../assemble.ts';
import type { FaultController } from '../../faults/fault-injector.ts';
import type { FixtureController } from '../../replay/install-fixtures.ts';
import { keepE2bOnFetch } from './e2b-on-fetch.ts';
import { createMswHandlers } from './msw-handlers.ts';
import { DEFAULT_MSW_LAYOUT, mswUrlFor, type MswLayout } from './msw-hosts.ts';

/** What the emulator is made of (providers, fidelity, faults, fixtures), and where msw answers. */
export interface SetupEmulatorOptions extends AssembleOptions, Partial<MswLayout> {
  /**
   * What msw does with requests to hosts that are no provider's. Default 'bypass': the
   * emulator only claims the providers' hosts (those never reach the network).
   */
  onUnhandledRequest?: 'bypass' | 'warn' | 'error';
}

export interface InProcessEmulator {
  /** The app behind the handlers, e.g. `emulator.app.violations`. Set once started. */
  readonly app: EmulatorApp;
  readonly server: SetupServer;
  /** Injected faults (see createEmulator); reset() puts them back to those of the options. Set once started. */
  readonly faults: FaultController;
  /** The fixtures being replayed (none unless `fixtures` was given). Set once started. */
  readonly fixtures: FixtureController;
  /** The real hosts the emulator answers on, for code that needs them spelled out. */
  readonly urls: {
    blaxel: { control: string; sandbox(name: string): string };
    tensorlake: { api: string; sandbox(id: string): string };
    agentbox: { endpoint: string };
    /** E2B's lifecycle API and the shared envd host (the `E2b-Sandbox-Id` header names the sandbox). */
    e2b: { api: string; envd: string };
  };
  /** Starts intercepting. */
  start(): Promise<void>;
  /** Ends every process, forgets every sandbox and removes every fault, between tests. */
  reset(): Promise<void>;
  /** Stops intercepting and ends every process. */
  close(): Promise<void>;
}

/**
 * The emulator in-process, through msw: no port, no change to the code under test.
 *
 *   const emulator = setupEmulator({ providers: ['blaxel'] });
 *   beforeAll(() => emulator.start());
 *   afterEach(() => emulator.reset());
 *   afterAll(() => emulator.close());
 */
export function setupEmulator(options: SetupEmulatorOptions = {}): InProcessEmulator {
  const layout: MswLayout = {
    blaxelWorkspace: options.blaxelWorkspace ?? DEFAULT_MSW_LAYOUT.blaxelWorkspace,
    blaxelRegion: options.blaxelRegion ?? DEFAULT_MSW_LAYOUT.blaxelRegion,
    agentboxEndpoint: options.agentboxEndpoint ?? DEFAULT_MSW_LAYOUT.agentboxEndpoint,
  };
  if (!options.providers || options.providers.includes('blaxel')) {
    // On Node 20, @blaxel/core sends https calls to *.blaxel.ai over its own HTTP/2 sessions,
    // which msw cannot see: they would go to Blaxel's real API. Turning them off keeps every
    // call on fetch, where the emulator answers. A value the user set is left alone.
    process.env.BL_DISABLE_H2 ??= 'true';
  }
  // The same for the e2b SDK, which sends through its own undici: it is kept on fetch.
  if (!options.providers || options.providers.includes('e2b')) keepE2bOnFetch();
  const server = setupServer();
  let assembled: AssembledEmulator | undefined;
  const started = (what: string) => {
    if (!assembled) throw new Error(`Failed to reach the ${what}: the emulator is not started. Call start() first.`);
    return assembled;
  };
  return {
    get app(): EmulatorApp {
      return started('emulator').app;
    },
    get faults(): FaultController {
      return started('faults').faults;
    },
    get fixtures(): FixtureController {
      return started('fixtures').fixtures;
    },
    server,
    urls: {
      blaxel: { control: mswUrlFor('blaxel-control', {}, layout), sandbox: (name) => mswUrlFor('blaxel-sandbox', { sandbox: name }, layout) },
      tensorlake: { api: mswUrlFor('tensorlake-lifecycle', {}, layout), sandbox: (id) => mswUrlFor('tensorlake-runtime', { sandbox: id }, layout) },
      agentbox: { endpoint: mswUrlFor('agentbox', {}, layout) },
      e2b: { api: mswUrlFor('e2b-api', {}, layout), envd: mswUrlFor('e2b-envd', {}, layout) },
    },
    async start() {
      assembled ??= await assembleEmulator(options);
      server.use(...createMswHandlers(assembled.app, layout));
      server.listen({ onUnhandledRequest: options.onUnhandledRequest ?? 'bypass' });
    },
    async reset() {
      await assembled?.reset();
    },
    async close() {
      server.close();
      await assembled?.close();
      assembled = undefined;
    },
  };
}
