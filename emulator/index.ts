import { EmulatorApp, type AppOptions } from './app.ts';
import { checkFaultRule } from './faults/check-fault-rule.ts';
import { installFaults, type FaultController } from './faults/fault-injector.ts';
import type { FaultRule } from './faults/fault-rule.ts';
import { installFixtures, type FixtureController } from './replay/install-fixtures.ts';
import { loadFixtures, type FixtureSource } from './replay/load-fixture.ts';
import { HttpTransport, type HttpServerOptions } from './transports/http/http-server.ts';
import { httpUrlFor } from './transports/http/http-routes.ts';

export { EmulatorApp, type AppOptions } from './app.ts';
export type { ProviderName, Fidelity, AgentBoxPool } from './providers/provider.ts';
export type { ResponseViolation } from './openapi/response-validator.ts';
export type { FaultController } from './faults/fault-injector.ts';
export type { FaultRule } from './faults/fault-rule.ts';
export type { Fixture } from './replay/fixture.ts';
export type { FixtureController } from './replay/install-fixtures.ts';

export interface EmulatorOptions extends AppOptions, HttpServerOptions {
  /** Faults in force from the first request (the CLI's --fault). Default: none. */
  faults?: readonly FaultRule[];
  /**
   * Recorded fixtures to replay (objects, files, or folders of *.yaml): a request a fixture
   * recorded gets the recorded answer, every other one goes to the emulator. Default: none.
   */
  fixtures?: readonly FixtureSource[];
}

/** Base URLs to aim each provider's SDK or curl at, once the emulator listens. */
export interface BaseUrls {
  origin: string;
  blaxel: { control: string; sandbox(name: string): string };
  tensorlake: { api: string; sandbox(id: string): string };
  agentbox: { endpoint: string };
}

export interface Emulator {
  readonly app: EmulatorApp;
  /** Injected faults: latency, a replaced status, a reset connection, a cut stream. */
  readonly faults: FaultController;
  /** The fixtures being replayed (none unless `fixtures` was given). */
  readonly fixtures: FixtureController;
  /** Starts the HTTP server; resolves with the base URLs. */
  listen(): Promise<BaseUrls>;
  readonly urls: BaseUrls;
  /** Ends every process the emulator started, closes the server and removes its temp root. */
  close(): Promise<void>;
}

/**
 * The programmatic entry point for tests and tools:
 *
 *   const emulator = await createEmulator({ port: 0 });
 *   const urls = await emulator.listen();
 *   ...
 *   await emulator.close();
 */
export async function createEmulator(options: EmulatorOptions = {}): Promise<Emulator> {
  // Checked before the app starts processes and makes its temp root, so a bad rule leaks nothing.
  for (const rule of options.faults ?? []) checkFaultRule(rule);
  // Loaded first for the same reason: a broken fixture is refused before anything starts.
  const loaded = await loadFixtures(options.fixtures ?? [], { specsDir: options.specsDir });
  const app = await EmulatorApp.create(options);
  const faults = installFaults(app, options.faults);
  const fixtures = installFixtures(app, loaded, faults);
  const transport = new HttpTransport(app, options);
  let urls: BaseUrls | undefined;
  let closing: Promise<void> | undefined;
  return {
    app,
    faults,
    fixtures,
    async listen() {
      const { origin } = await transport.listen();
      urls = baseUrls(origin);
      return urls;
    },
    get urls() {
      if (!urls) throw new Error('Failed to give base URLs: the emulator is not listening yet. Call listen() first.');
      return urls;
    },
    close() {
      closing ??= (async () => {
        // Processes first: ending them ends their streams, so the server can close cleanly.
        await app.close();
        await transport.close();
      })();
      return closing;
    },
  };
}

export function baseUrls(origin: string): BaseUrls {
  return {
    origin,
    blaxel: {
      control: httpUrlFor(origin, 'blaxel-control', {}),
      sandbox: (name) => httpUrlFor(origin, 'blaxel-sandbox', { sandbox: name }),
    },
    tensorlake: {
      api: httpUrlFor(origin, 'tensorlake-lifecycle', {}),
      sandbox: (id) => httpUrlFor(origin, 'tensorlake-runtime', { sandbox: id }),
    },
    agentbox: { endpoint: httpUrlFor(origin, 'agentbox', {}) },
  };
}
