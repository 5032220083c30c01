// `sandbox-emulator`: the emulator over HTTP, from code.
//
//   import { createEmulator } from 'sandbox-emulator';
//   const emulator = await createEmulator({ port: 0 });
//   const urls = await emulator.listen();   // urls.blaxel.sandbox('box'), urls.tensorlake.api, ...
//   await emulator.close();
//
// In-process through msw: 'sandbox-emulator/msw'. Test hooks: 'sandbox-emulator/vitest'. The
// container image: 'sandbox-emulator/testcontainers'. Contract suites: 'sandbox-emulator/contracts'.
// Everything here is the package's public API; the modules behind it may move.
import { fileURLToPath } from 'node:url';

export { createEmulator, type Emulator, type EmulatorOptions, type BaseUrls } from '../emulator/index.ts';
export type { EmulatorApp } from '../emulator/app.ts';
export type { ProviderName, Fidelity, AgentBoxPool } from '../emulator/providers/provider.ts';
export type { ResponseViolation } from '../emulator/openapi/response-validator.ts';
export type { FaultController } from '../emulator/faults/fault-injector.ts';
export type { FaultRule } from '../emulator/faults/fault-rule.ts';
export type { Fixture } from '../emulator/replay/fixture.ts';
export type { FixtureController } from '../emulator/replay/install-fixtures.ts';
export type { FixtureSource } from '../emulator/replay/load-fixture.ts';

/** The folder of the package's OpenAPI documents, one per provider surface (`blaxel.yaml`, ...). */
export { DEFAULT_SPECS_DIR as SPECS_DIR } from '../emulator/openapi/specs-dir.ts';

/**
 * The folder of the package's fixtures, one folder per provider (`blaxel/`, `tensorlake/`,
 * `agentbox/`), each file a provider's recorded departure from its document. Give a folder or a
 * file of it as `fixtures` to replay it.
 */
export const FIXTURES_DIR = fileURLToPath(new URL('../fixtures/', import.meta.url));
