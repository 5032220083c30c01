// Testing your own code that uses the real `tensorlake` SDK, offline.
//
// The emulator listens on 127.0.0.1 and the SDK is aimed at it with the options it already has:
// `apiUrl` for Sandbox.create (on a 127.0.0.1 API URL the SDK uses the local-server lifecycle
// paths, then the `sandbox_url` the emulator answers with). Commands really run, as child
// processes in a temporary folder per sandbox. It has to be HTTP: the SDK makes its sandbox
// calls from a native (Rust) core, not through Node's fetch, so msw cannot intercept them.

import { Sandbox } from 'tensorlake';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
// In your project: import { createEmulator, type BaseUrls, type Emulator } from 'sandbox-emulator';
import { createEmulator, type BaseUrls, type Emulator } from '../exports/index.ts';

// The code under test. Yours lives in your own source tree.

/** Runs a shell script in a sandbox, hands over each line it prints as it comes, and says how it ended. */
async function runScript(sandbox: Sandbox, script: string, onLine: (line: string) => void) {
  const proc = await sandbox.startProcess('sh', { args: ['-c', script] });
  // Ends when the process ends.
  for await (const event of sandbox.followOutput(proc.pid)) onLine(event.line);
  const { exitCode } = await sandbox.getProcess(proc.pid);
  return { ok: exitCode === 0, exitCode };
}

// The tests.

let emulator: Emulator;
let urls: BaseUrls;
/** The sandboxes a test made; each is terminated after its test. */
const made: Sandbox[] = [];

beforeAll(async () => {
  // Port 0: a free port, so test files can run side by side.
  emulator = await createEmulator({ port: 0, providers: ['tensorlake'] });
  urls = await emulator.listen();
});

afterEach(async () => {
  // Ends each sandbox's processes and removes its folder.
  await Promise.all(made.splice(0).map((sandbox) => sandbox.terminate()));
  // Every answer the emulator gave matched Tensorlake's API document.
  expect(emulator.app.violations).toEqual([]);
});

afterAll(async () => {
  // Ends every process the emulator started.
  await emulator?.close();
});

describe('runScript', () => {
  // apiUrl and apiKey given here beat TENSORLAKE_API_URL / TENSORLAKE_API_KEY, so no call can
  // reach Tensorlake's cloud; the emulator takes any key unless told otherwise (tokens).
  const newSandbox = async () => {
    const sandbox = await Sandbox.create({ apiUrl: urls.tensorlake.api, apiKey: 'test' });
    made.push(sandbox);
    return sandbox;
  };

  it('hands over every line the script prints, in order, and reports success', async () => {
    const sandbox = await newSandbox();
    const lines: string[] = [];
    const result = await runScript(sandbox, 'echo building; echo testing; echo $((6 * 7))', (line) => lines.push(line));
    expect(lines).toEqual(['building', 'testing', '42']);
    expect(result).toEqual({ ok: true, exitCode: 0 });
  });

  it('reports a failing script with its real exit code', async () => {
    const sandbox = await newSandbox();
    const lines: string[] = [];
    const result = await runScript(sandbox, 'echo "no such file" >&2; exit 2', (line) => lines.push(line));
    expect(lines).toEqual(['no such file']);
    expect(result).toEqual({ ok: false, exitCode: 2 });
  });
});
