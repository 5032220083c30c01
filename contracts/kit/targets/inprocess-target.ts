import { setupEmulator, type SetupEmulatorOptions } from '../../../emulator/transports/msw/setup-emulator.ts';
import { mswUrlFor, DEFAULT_MSW_LAYOUT } from '../../../emulator/transports/msw/msw-hosts.ts';
import type { ContractTarget } from '../contract-target.ts';

/** The emulator in this process, through msw, answering on the providers' real hosts. */
export async function startInProcessTarget(options: SetupEmulatorOptions = {}): Promise<ContractTarget> {
  const emulator = setupEmulator({ ...options, onUnhandledRequest: 'error' });
  await emulator.start();
  const layout = { ...DEFAULT_MSW_LAYOUT, ...options };
  return {
    name: 'inprocess',
    baseUrl: (mountId, vars) => mswUrlFor(mountId, { sandbox: 'contract', ...vars }, layout),
    fetch: (...args) => globalThis.fetch(...args),
    async close() {
      await emulator.close();
    },
  };
}
