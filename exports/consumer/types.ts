// A user's TypeScript file, type checked (not run) by package.test.ts in a fresh project where
// the packed sandbox-emulator is installed, with tsconfig.json beside it: every public entry
// has types, and they are real ones (each @ts-expect-error must meet an error).
import { createEmulator, FIXTURES_DIR, SPECS_DIR, type BaseUrls, type Emulator, type FaultRule, type ProviderName } from 'sandbox-emulator';
import { formatReport, runContracts, type CheckResult, type SuiteReport } from 'sandbox-emulator/contracts';
import { setupEmulator, type InProcessEmulator } from 'sandbox-emulator/msw';
import { startEmulatorContainer, type StartedEmulatorContainer } from 'sandbox-emulator/testcontainers';
import { useEmulator, useEmulatorServer, type EmulatorServer } from 'sandbox-emulator/vitest';

export async function overHttp(): Promise<string> {
  const providers: ProviderName[] = ['blaxel', 'tensorlake'];
  const fault: FaultRule = { match: { operationId: 'getProcess' }, status: 503, times: 1 };
  const emulator: Emulator = await createEmulator({ port: 0, providers, faults: [fault], fixtures: [FIXTURES_DIR] });
  const urls: BaseUrls = await emulator.listen();
  await emulator.close();
  // @ts-expect-error: fidelity is 'spec' or 'observed'
  await createEmulator({ fidelity: 'exact' });
  return `${SPECS_DIR} ${urls.blaxel.sandbox('box')} ${urls.tensorlake.api}`;
}

export function inProcess(): InProcessEmulator {
  const emulator = setupEmulator({ providers: ['agentbox'], agentboxEndpoint: 'https://agentbox.local', onUnhandledRequest: 'error' });
  // @ts-expect-error: no such provider
  setupEmulator({ providers: ['modal'] });
  return emulator;
}

export function hooks(): EmulatorServer {
  const emulator: InProcessEmulator = useEmulator({ providers: ['blaxel'], blaxelEnv: false });
  void emulator.urls.blaxel.control;
  return useEmulatorServer({ port: 0 });
}

export async function container(): Promise<string> {
  const started: StartedEmulatorContainer = await startEmulatorContainer({ image: 'sandbox-emulator', args: ['--providers', 'blaxel'] });
  const host = started.container.getHost();
  await started.stop();
  return `${host} ${started.urls.origin}`;
}

export async function contracts(): Promise<CheckResult[]> {
  const report: SuiteReport = await runContracts({ provider: 'tensorlake', target: 'inprocess', fidelity: 'observed' });
  // @ts-expect-error: a report is not a string
  const text: string = report;
  return formatReport(report).length > text.length ? report.results : [];
}
