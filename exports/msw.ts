// `sandbox-emulator/msw`: the emulator in-process, through msw, answering on the providers' real
// hosts (https://api.blaxel.ai/v0, https://sbx-{name}-local.us-pdx-1.bl.run,
// https://api.tensorlake.ai, https://api.e2b.app and https://sandbox.e2b.app, the AgentBox
// endpoint you give): no port, no change to your code.
//
//   import { setupEmulator } from 'sandbox-emulator/msw';
//   const emulator = setupEmulator({ providers: ['blaxel'], onUnhandledRequest: 'error' });
//   beforeAll(() => emulator.start());
//   afterEach(() => emulator.reset());
//   afterAll(() => emulator.close());
export { setupEmulator, type SetupEmulatorOptions, type InProcessEmulator } from '../emulator/transports/msw/setup-emulator.ts';
export type { MswLayout } from '../emulator/transports/msw/msw-hosts.ts';
