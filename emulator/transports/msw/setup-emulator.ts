import { setupServer, type SetupServer } from 'msw/node';
import { EmulatorApp, type AppOptions } from '../../app.ts';
import { installFaults, type FaultController } from '../../faults/fault-injector.ts';
import { installFixtures, type FixtureController } from '../../replay/install-fixtures.ts';
import { loadFixtures, type FixtureSource } from '../../replay/load-fixture.ts';
import { createMswHandlers } from './msw-handlers.ts';
import { DEFAULT_MSW_LAYOUT, mswUrlFor, type MswLayout } from './msw-hosts.ts';

export interface SetupEmulatorOptions extends AppOptions, Partial<MswLayout> {
  /**
   * What msw does with requests to hosts that are no provider's. Default 'bypass': the
   * emulator only claims the providers' hosts (those never reach the network).
   */
  onUnhandledRequest?: 'bypass' | 'warn' | 'error';
  /**
   * Recorded fixtures to replay (objects, files, or folders of *.yaml): a request a fixture
   * recorded gets the recorded answer, every other one goes to the emulator. Default: none.
   */
  fixtures?: readonly FixtureSource[];
}

export interface InProcessEmulator {
  /** The app behind the handlers, e.g. `emulator.app.violations`. Set once started. */
  readonly app: EmulatorApp;
  readonly server: SetupServer;
  /** Injected faults (see createEmulator); reset() removes them. Set once started. */
  readonly faults: FaultController;
  /** The real hosts the emulator answers on, for code that needs them spelled out. */
  readonly urls: {
    blaxel: { control: string; sandbox(name: string): string };
    tensorlake: { api: string; sandbox(id: string): string };
    agentbox: { endpoint: string };
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
  const server = setupServer();
  let app: EmulatorApp | undefined;
  let faults: FaultController | undefined;
  let fixtures: FixtureController | undefined;
  return {
    get app() {
      if (!app) throw new Error('Failed to reach the emulator: it is not started. Call start() first.');
      return app;
    },
    get faults() {
      if (!faults) throw new Error('Failed to reach the faults: the emulator is not started. Call start() first.');
      return faults;
    },
    server,
    urls: {
      blaxel: { control: mswUrlFor('blaxel-control', {}, layout), sandbox: (name) => mswUrlFor('blaxel-sandbox', { sandbox: name }, layout) },
      tensorlake: { api: mswUrlFor('tensorlake-lifecycle', {}, layout), sandbox: (id) => mswUrlFor('tensorlake-runtime', { sandbox: id }, layout) },
      agentbox: { endpoint: mswUrlFor('agentbox', {}, layout) },
    },
    async start() {
      if (!app) {
        // Loaded first, so a broken fixture is refused before anything starts.
        const loaded = await loadFixtures(options.fixtures ?? [], { specsDir: options.specsDir });
        app = await EmulatorApp.create(options);
        faults = installFaults(app);
        fixtures = installFixtures(app, loaded, faults);
      }
      server.use(...createMswHandlers(app, layout));
      server.listen({ onUnhandledRequest: options.onUnhandledRequest ?? 'bypass' });
    },
    async reset() {
      // A fault left over from one test would break the next one in a way hard to trace.
      faults?.clear();
      await app?.reset();
      // Each test replays the fixtures from their first answer, with their own faults.
      fixtures?.reset();
    },
    async close() {
      server.close();
      await app?.close();
      app = undefined;
      faults = undefined;
      fixtures = undefined;
    },
  };
}
