import { assembleEmulator, type AssembledEmulator, type AssembleOptions } from './assemble.ts';
import { HttpTransport, type HttpServerOptions } from './transports/http/http-server.ts';
import { httpUrlFor } from './transports/http/http-routes.ts';

export { EmulatorApp, type AppOptions } from './app.ts';
export type { ProviderName, Fidelity, AgentBoxPool } from './providers/provider.ts';
export type { ResponseViolation } from './openapi/response-validator.ts';
export type { FaultController } from './faults/fault-injector.ts';
export type { FaultRule } from './faults/fault-rule.ts';
export type { Fixture } from './replay/fixture.ts';
export type { FixtureController } from './replay/install-fixtures.ts';

export { assembleEmulator, type AssembleOptions, type AssembledEmulator } from './assemble.ts';

export interface EmulatorOptions extends AssembleOptions, Omit<HttpServerOptions, 'webView'> {
  /**
   * The web view at /_emulator/ (sandboxes, processes and their output, live). Default: on,
   * unless a provider token is set: the view has no login of its own, and a token means the
   * emulator is meant to be reached by more than its own user.
   */
  ui?: boolean;
}

/** Base URLs to aim each provider's SDK or curl at, once the emulator listens. */
export interface BaseUrls {
  origin: string;
  blaxel: { control: string; sandbox(name: string): string };
  tensorlake: { api: string; sandbox(id: string): string };
  agentbox: { endpoint: string };
}

/** An assembled emulator (see AssembledEmulator: app, faults, fixtures, reset) served over HTTP. */
export interface Emulator extends AssembledEmulator {
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
  const { app, faults, fixtures, reset, close } = await assembleEmulator(options);
  const tokens = Object.values(options.tokens ?? {}).some((token) => token !== undefined && token !== '');
  const webView = options.ui !== false && !tokens ? { fidelity: options.fidelity ?? 'spec', quirks: options.quirks ?? [], faults: options.faults ?? [] } : undefined;
  const transport = new HttpTransport(app, { ...options, webView });
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
    reset,
    get urls() {
      if (!urls) throw new Error('Failed to give base URLs: the emulator is not listening yet. Call listen() first.');
      return urls;
    },
    close() {
      closing ??= (async () => {
        // Processes first: ending them ends their streams, so the server can close cleanly.
        await close();
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
