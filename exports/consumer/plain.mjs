// A user's plain Node ESM script, run by package.test.ts in a fresh project where the packed
// sandbox-emulator is installed: no TypeScript, no loader, only the package's public imports.
// It prints one JSON line of what it saw.
import { join } from 'node:path';

// What @blaxel/core needs to reach the emulator's hosts (the README's Blaxel section).
Object.assign(process.env, { BL_WORKSPACE: 'local', BL_API_KEY: 'test', BL_DISABLE_H2: 'true', DO_NOT_TRACK: '1' });

const { createEmulator, FIXTURES_DIR, SPECS_DIR } = await import('sandbox-emulator');
const { setupEmulator } = await import('sandbox-emulator/msw');
const { formatReport, runContracts } = await import('sandbox-emulator/contracts');
const { SandboxInstance } = await import('@blaxel/core');

const seen = {};

// In-process, through msw, on Blaxel's real hosts: the SDK's control plane and sandbox calls.
const inProcess = setupEmulator({ providers: ['blaxel'], onUnhandledRequest: 'error' });
await inProcess.start();
try {
  const sandbox = await SandboxInstance.create({ metadata: { name: 'plain-msw' }, spec: {} });
  const result = await sandbox.process.exec({ command: 'echo "msw $((6 * 7))"', waitForCompletion: true });
  seen.msw = { exitCode: result.exitCode, stdout: result.stdout, violations: inProcess.app.violations.length };
} finally {
  await inProcess.close();
}

// Over HTTP, with the package's own fixtures replayed: the SDK aimed at the sandbox's URL.
const overHttp = await createEmulator({ port: 0, providers: ['blaxel'], fixtures: [join(FIXTURES_DIR, 'blaxel')] });
try {
  const urls = await overHttp.listen();
  const sandbox = new SandboxInstance({ metadata: { name: 'plain-http' }, spec: {}, forceUrl: urls.blaxel.sandbox('plain-http') });
  const result = await sandbox.process.exec({ command: 'echo http >&2; exit 3', waitForCompletion: true });
  seen.http = { origin: urls.origin, exitCode: result.exitCode, stderr: result.stderr, fixtures: overHttp.fixtures.fixtures.length };
} finally {
  await overHttp.close();
}

// A contract suite from code, against the package's CLI started on a free port.
const report = await runContracts({ provider: 'agentbox', target: 'http' });
seen.contracts = { target: report.target, failed: report.results.filter((r) => r.status === 'fail').length, passed: report.results.filter((r) => r.status === 'pass').length };
if (seen.contracts.failed > 0) process.stderr.write(`${formatReport(report)}\n`);

seen.specsDir = SPECS_DIR;
process.stdout.write(`${JSON.stringify(seen)}\n`);
