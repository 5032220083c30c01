// `sandbox-emulator/vitest`: the emulator for a test file in one line, started before its tests,
// reset after each test (every process ended, every sandbox forgotten, the faults back to those
// of the options) and closed after the last one. Called inside a describe block, it serves that
// block only. vitest is a peer dependency: this module is for test files run by vitest.
//
//   import { useEmulator } from 'sandbox-emulator/vitest';
//   const emulator = useEmulator({ providers: ['blaxel'] });   // in-process, through msw
//
//   import { useEmulatorServer } from 'sandbox-emulator/vitest';
//   const server = useEmulatorServer();                         // over HTTP, on a free port
//   it('...', () => fetch(`${server.urls.agentbox.endpoint}/ping`));
import { afterAll, afterEach, beforeAll } from 'vitest';
import type { EmulatorApp } from '../emulator/app.ts';
import type { FaultController } from '../emulator/faults/fault-injector.ts';
import { createEmulator, type BaseUrls, type Emulator, type EmulatorOptions } from '../emulator/index.ts';
import type { FixtureController } from '../emulator/replay/install-fixtures.ts';
import { DEFAULT_MSW_LAYOUT } from '../emulator/transports/msw/msw-hosts.ts';
import { setupEmulator, type InProcessEmulator, type SetupEmulatorOptions } from '../emulator/transports/msw/setup-emulator.ts';

export interface UseEmulatorOptions extends SetupEmulatorOptions {
  /**
   * Set, for the tests the emulator serves, what @blaxel/core needs to reach it through msw:
   * BL_WORKSPACE (the emulator's workspace, `blaxelWorkspace`), BL_API_KEY (`test` unless set),
   * BL_DISABLE_H2=true and DO_NOT_TRACK=1 (unless set), and no BL_API_URL, BL_RUN_URL, BL_REGION
   * or BL_ENV, each of which would send the SDK's calls elsewhere. Put back as they were
   * afterwards. Default: true when Blaxel is served, so that the SDK's code runs unchanged.
   */
  blaxelEnv?: boolean;
}

/** The emulator in-process, through msw (see setupEmulator), for the tests of this file or block. */
export function useEmulator(options: UseEmulatorOptions = {}): InProcessEmulator {
  const { blaxelEnv = !options.providers || options.providers.includes('blaxel'), ...setup } = options;
  const emulator = setupEmulator(setup);
  let restoreEnv: (() => void) | undefined;
  beforeAll(async () => {
    if (blaxelEnv) restoreEnv = setBlaxelEnv(setup.blaxelWorkspace ?? DEFAULT_MSW_LAYOUT.blaxelWorkspace);
    await emulator.start();
  });
  afterEach(() => emulator.reset());
  afterAll(async () => {
    await emulator.close();
    restoreEnv?.();
  });
  return emulator;
}

/** What useEmulatorServer hands out: the emulator over HTTP, usable once its tests run. */
export interface EmulatorServer {
  readonly app: EmulatorApp;
  readonly faults: FaultController;
  readonly fixtures: FixtureController;
  /** Base URLs to aim each provider's SDK or curl at. */
  readonly urls: BaseUrls;
  /** Between tests it is called for you; call it yourself to start clean inside a test. */
  reset(): Promise<void>;
}

/**
 * The emulator over HTTP (see createEmulator), on a free port of 127.0.0.1 unless `port` says
 * otherwise, for the tests of this file or block. Its properties are there from the first hook
 * on; read them inside tests and hooks, not at the top of the file.
 */
export function useEmulatorServer(options: EmulatorOptions = {}): EmulatorServer {
  let emulator: Emulator | undefined;
  beforeAll(async () => {
    emulator = await createEmulator({ port: 0, ...options });
    try {
      await emulator.listen();
    } catch (error) {
      await emulator.close();
      emulator = undefined;
      throw error;
    }
  });
  afterEach(() => emulator?.reset());
  afterAll(() => emulator?.close());
  const started = (): Emulator => {
    if (!emulator) throw new Error('Failed to reach the emulator: it starts in a beforeAll hook. Use it inside a test or a hook, not at the top of the file.');
    return emulator;
  };
  return {
    get app() {
      return started().app;
    },
    get faults() {
      return started().faults;
    },
    get fixtures() {
      return started().fixtures;
    },
    get urls() {
      return started().urls;
    },
    reset: () => started().reset(),
  };
}

/** Names whose value would send @blaxel/core somewhere else than the hosts msw answers. */
const BLAXEL_ELSEWHERE = ['BL_API_URL', 'BL_RUN_URL', 'BL_REGION', 'BL_ENV'];

/** Sets the environment @blaxel/core needs for the emulator's hosts; returns what puts it back. */
function setBlaxelEnv(workspace: string): () => void {
  const names = ['BL_WORKSPACE', 'BL_API_KEY', 'BL_DISABLE_H2', 'DO_NOT_TRACK', ...BLAXEL_ELSEWHERE];
  const before = new Map(names.map((name) => [name, process.env[name]]));
  process.env.BL_WORKSPACE = workspace;
  process.env.BL_API_KEY ??= 'test';
  process.env.BL_DISABLE_H2 ??= 'true';
  process.env.DO_NOT_TRACK ??= '1';
  for (const name of BLAXEL_ELSEWHERE) delete process.env[name];
  return () => {
    for (const [name, value] of before) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  };
}
