// The real `tensorlake` npm SDK (0.5.89) against the emulator over HTTP.
//
// HTTP only: the SDK's sandbox calls go through its Rust core (a napi addon with its own HTTP
// client), not through Node's fetch, so msw never sees them. Two ways in, both as the SDK
// documents them for a local server:
//   - Sandbox.create({ apiUrl, apiKey }) with a 127.0.0.1 API URL: the SDK uses the namespaced
//     lifecycle paths (/v1/namespaces/default/sandboxes) and then the `sandbox_url` it is given;
//   - Sandbox.connect({ sandboxId, proxyUrl, apiKey }) with a 127.0.0.1 proxy URL: no lifecycle
//     call at all, the path of the proxy URL is kept.
// Every wait is on an event (a followed line, the end of a follow stream), never a sleep.

import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import type { EmuRequest } from '../../emulator/kernel/exchange.ts';
import { createEmulator, type BaseUrls, type Emulator } from '../../emulator/index.ts';

type Sdk = typeof import('tensorlake');
type Sandbox = InstanceType<Sdk['Sandbox']>;
type OutputEvent = import('tensorlake').OutputEvent;

const API_KEY = 'test';

let sdk: Sdk;
let emulator: Emulator;
let urls: BaseUrls;
/** What reached the emulator: `mount METHOD path`, the sandbox in the URL, the Host header. */
let seen: Array<{ call: string; sandbox?: string; host: string | undefined }> = [];
/** Calls waited for: each resolves once the emulator has answered a matching call. */
let waiters: Array<{ call: string; resolve: () => void }> = [];
/** Sandboxes a test made; terminated after it, so none outlives its test. */
const made: Sandbox[] = [];

beforeAll(async () => {
  // Keep the SDK away from real hosts and from the developer's own account: every TENSORLAKE_*
  // variable it reads (some at import, which is why the SDK is imported only after this).
  for (const name of Object.keys(process.env)) {
    if (name.startsWith('TENSORLAKE_') || name === 'INDEXIFY_NAMESPACE') vi.stubEnv(name, undefined);
  }
  sdk = await import('tensorlake');
  // With a token the emulator refuses a request without `Authorization: Bearer test`, so these
  // tests also show that the SDK sends the apiKey it is given.
  emulator = await createEmulator({ port: 0, providers: ['tensorlake'], tokens: { tensorlake: API_KEY } });
  urls = await emulator.listen();
  const handle = emulator.app.handle.bind(emulator.app);
  vi.spyOn(emulator.app, 'handle').mockImplementation(async (mountId, vars, request: EmuRequest, urlFor) => {
    const call = `${mountId} ${request.method} ${request.path}`;
    seen.push({ call, sandbox: vars.sandbox, host: request.headers.host });
    const response = await handle(mountId, vars, request, urlFor);
    for (const waiter of waiters.filter((w) => w.call === call)) waiter.resolve();
    return response;
  });
});

afterEach(async () => {
  await Promise.all(made.splice(0).map((sandbox) => sandbox.terminate().catch(() => undefined)));
  seen = [];
  waiters = [];
  // Every answer the SDK got matched the Tensorlake document.
  expect(emulator.app.violations).toEqual([]);
});

afterAll(async () => {
  await emulator?.close();
  vi.unstubAllEnvs();
});

async function createSandbox(): Promise<Sandbox> {
  const sandbox = await sdk.Sandbox.create({ apiUrl: urls.tensorlake.api, apiKey: API_KEY });
  made.push(sandbox);
  return sandbox;
}

/** Every event of a follow, up to the end of its stream (which comes when the process ends). */
async function drain(events: AsyncIterable<OutputEvent>): Promise<OutputEvent[]> {
  const out: OutputEvent[] = [];
  for await (const event of events) out.push(event);
  return out;
}

const bytes = (text: string) => new TextEncoder().encode(text);

/** Resolves once the emulator has answered `call` (its handler ran; a stream is open). */
function answered(call: string): Promise<void> {
  return new Promise((resolve) => waiters.push({ call, resolve }));
}

describe('tensorlake SDK over HTTP: lifecycle', () => {
  it('Sandbox.create uses the namespaced lifecycle path, then the sandbox_url it was given', async () => {
    const sandbox = await createSandbox();
    expect(sandbox.sandboxId).toMatch(/^sbx-[a-z0-9]+$/);
    const result = await sandbox.run('echo', { args: ['hello from', sandbox.sandboxId] });
    expect(result).toMatchObject({ exitCode: 0, stdout: `hello from ${sandbox.sandboxId}`, stderr: '' });

    // The create went to the lifecycle API; the run went to the runtime base the create answer
    // named (the emulator's /tensorlake/sandboxes/{id}), with the SDK's localhost Host header.
    expect(seen[0]).toMatchObject({ call: 'tensorlake-lifecycle POST /v1/namespaces/default/sandboxes', sandbox: undefined });
    expect(seen.at(-1)).toEqual({ call: 'tensorlake-runtime POST /api/v1/processes/run', sandbox: sandbox.sandboxId, host: `${sandbox.sandboxId}.local` });

    const info = await sandbox.info();
    expect(info).toMatchObject({ sandboxId: sandbox.sandboxId, namespace: 'default', status: 'running', sandboxUrl: urls.tensorlake.sandbox(sandbox.sandboxId) });
    expect(await sandbox.status()).toBe('running');
    expect((await sdk.Sandbox.list({ apiUrl: urls.tensorlake.api, apiKey: API_KEY })).map((s) => s.sandboxId)).toContain(sandbox.sandboxId);
  });

  it('Sandbox.connect with a proxyUrl reaches the same sandbox without any lifecycle call', async () => {
    const created = await createSandbox();
    const started = await created.startProcess('sh', { args: ['-c', 'echo made before connect'] });
    seen = [];

    const connected = await sdk.Sandbox.connect({ sandboxId: created.sandboxId, proxyUrl: urls.tensorlake.sandbox(created.sandboxId), apiKey: API_KEY });
    try {
      expect(connected.sandboxId).toBe(created.sandboxId);
      expect((await connected.listProcesses()).map((p) => p.pid)).toEqual([started.pid]);
      await drain(connected.followStdout(started.pid));
      expect((await connected.getStdout(started.pid)).lines).toEqual(['made before connect']);
      expect(seen.length).toBeGreaterThan(0);
      expect(seen.every((s) => s.call.startsWith('tensorlake-runtime ') && s.sandbox === created.sandboxId)).toBe(true);
    } finally {
      connected.close();
    }
  });

  it('terminate ends the sandbox and its processes; the lifecycle API then reports it terminated', async () => {
    const sandbox = await createSandbox();
    const sleeper = await sandbox.startProcess('sleep', { args: ['30'] });
    // Wait until the follow is really open, so its end below is the kill, not a replay.
    const open = answered(`tensorlake-runtime GET /api/v1/processes/${sleeper.pid}/output/follow`);
    const following = drain(sandbox.followOutput(sleeper.pid));
    await open;
    const id = sandbox.sandboxId;
    await sandbox.terminate();
    made.splice(made.indexOf(sandbox), 1);

    // The follow of the running sleep ends: terminating killed it.
    expect(await following).toEqual([]);
    expect(seen).toContainEqual(expect.objectContaining({ call: `tensorlake-lifecycle DELETE /v1/namespaces/default/sandboxes/${id}` }));
    expect((await sdk.Sandbox.list({ apiUrl: urls.tensorlake.api, apiKey: API_KEY })).map((s) => s.sandboxId)).not.toContain(id);
    const again = await sdk.Sandbox.connect({ sandboxId: id, apiUrl: urls.tensorlake.api, apiKey: API_KEY });
    // Not a SandboxNotFoundError: the SDK's wait for termination polls this.
    expect(await again.status()).toBe('terminated');
  });

  it('refuses a wrong API key with RemoteAPIError 401', async () => {
    const sandbox = await createSandbox();
    const wrong = await sdk.Sandbox.connect({ sandboxId: sandbox.sandboxId, proxyUrl: urls.tensorlake.sandbox(sandbox.sandboxId), apiKey: 'not-the-key' });
    try {
      const error = await wrong.listProcesses().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(sdk.RemoteAPIError);
      expect((error as InstanceType<Sdk['RemoteAPIError']>).statusCode).toBe(401);
    } finally {
      wrong.close();
    }
  });
});

describe('tensorlake SDK over HTTP: processes', () => {
  let sandbox: Sandbox;
  beforeAll(async () => {
    // One sandbox reached by connect (the proxy URL path), for the process calls.
    sandbox = await sdk.Sandbox.connect({ sandboxId: 'sdk-processes', proxyUrl: urls.tensorlake.sandbox('sdk-processes'), apiKey: API_KEY });
  });
  afterAll(() => sandbox?.close());

  it('startProcess, getProcess, listProcesses and the captured stdout, stderr and output', async () => {
    const started = await sandbox.startProcess('sh', { args: ['-c', 'echo out 1; echo err 1 >&2; echo out 2; exit 3'], env: { GREETING: 'hi' } });
    expect(started).toMatchObject({ pid: expect.any(Number), command: 'sh', args: ['-c', 'echo out 1; echo err 1 >&2; echo out 2; exit 3'], stdinWritable: false });
    expect(started.startedAt).toBeInstanceOf(Date);
    await drain(sandbox.followOutput(started.pid));

    const info = await sandbox.getProcess(started.pid);
    expect(info).toMatchObject({ pid: started.pid, status: sdk.ProcessStatus.EXITED, exitCode: 3, signal: undefined });
    expect(info.endedAt).toBeInstanceOf(Date);
    expect((await sandbox.listProcesses()).find((p) => p.pid === started.pid)).toMatchObject({ status: 'exited', exitCode: 3 });

    expect(await sandbox.getStdout(started.pid)).toMatchObject({ pid: started.pid, lines: ['out 1', 'out 2'], lineCount: 2 });
    expect(await sandbox.getStderr(started.pid)).toMatchObject({ pid: started.pid, lines: ['err 1'], lineCount: 1 });
    const output = await sandbox.getOutput(started.pid);
    expect(output.lineCount).toBe(3);
    expect([...output.lines].sort()).toEqual(['err 1', 'out 1', 'out 2']);
  });

  it('followStdout delivers a line while the process still runs, and ends when it exits', async () => {
    const started = await sandbox.startProcess('sh', { args: ['-c', 'echo first; read x; echo "got $x"'], stdinMode: sdk.StdinMode.PIPE });
    const follow = sandbox.followStdout(started.pid)[Symbol.asyncIterator]();

    const first = await follow.next();
    expect(first.done).toBe(false);
    expect(first.value).toMatchObject({ line: 'first' });
    expect(first.value!.timestamp).toBeInstanceOf(Date);
    // The line came while the process still waits for its input.
    expect(await sandbox.getProcess(started.pid)).toMatchObject({ status: 'running', stdinWritable: true });

    await sandbox.writeStdin(started.pid, bytes('there\n'));
    await sandbox.closeStdin(started.pid);
    expect((await follow.next()).value).toMatchObject({ line: 'got there' });
    expect((await follow.next()).done).toBe(true);
    expect(await sandbox.getProcess(started.pid)).toMatchObject({ status: 'exited', exitCode: 0 });
  });

  it('followOutput interleaves both streams live, each event with its stream', async () => {
    const started = await sandbox.startProcess('sh', { args: ['-c', 'echo to-out; echo to-err >&2; read x; echo done'], stdinMode: sdk.StdinMode.PIPE });
    const follow = sandbox.followOutput(started.pid)[Symbol.asyncIterator]();
    const live = [(await follow.next()).value!, (await follow.next()).value!];
    expect(live.map((e) => [e.line, e.stream]).sort()).toEqual([
      ['to-err', 'stderr'],
      ['to-out', 'stdout'],
    ]);
    expect((await sandbox.getProcess(started.pid)).status).toBe('running');

    await sandbox.closeStdin(started.pid);
    const rest: OutputEvent[] = [];
    for (let next = await follow.next(); !next.done; next = await follow.next()) rest.push(next.value);
    expect(rest.map((e) => [e.line, e.stream])).toEqual([['done', 'stdout']]);
  });

  it('writeStdin reaches a piped cat, whose echo comes back; closeStdin ends it', async () => {
    const cat = await sandbox.startProcess('cat', { stdinMode: sdk.StdinMode.PIPE });
    const follow = sandbox.followStdout(cat.pid)[Symbol.asyncIterator]();
    await sandbox.writeStdin(cat.pid, bytes('hello cat\n'));
    expect((await follow.next()).value).toMatchObject({ line: 'hello cat' });
    await sandbox.writeStdin(cat.pid, bytes('second line\n'));
    expect((await follow.next()).value).toMatchObject({ line: 'second line' });

    await sandbox.closeStdin(cat.pid);
    expect((await follow.next()).done).toBe(true);
    expect(await sandbox.getProcess(cat.pid)).toMatchObject({ status: 'exited', exitCode: 0, stdinWritable: false });
    expect((await sandbox.getStdout(cat.pid)).lines).toEqual(['hello cat', 'second line']);
  });

  it('sendSignal(15) ends a sleep: status signaled, signal 15', async () => {
    const sleeper = await sandbox.startProcess('sleep', { args: ['30'] });
    expect((await sandbox.getProcess(sleeper.pid)).status).toBe('running');
    expect(await sandbox.sendSignal(sleeper.pid, 15)).toMatchObject({ success: true });
    await drain(sandbox.followOutput(sleeper.pid));
    expect(await sandbox.getProcess(sleeper.pid)).toMatchObject({ status: sdk.ProcessStatus.SIGNALED, signal: 15, exitCode: undefined });
  });

  it('killProcess ends a process with SIGKILL: status signaled, signal 9', async () => {
    const sleeper = await sandbox.startProcess('sleep', { args: ['30'] });
    await sandbox.killProcess(sleeper.pid);
    await drain(sandbox.followOutput(sleeper.pid));
    expect(await sandbox.getProcess(sleeper.pid)).toMatchObject({ status: 'signaled', signal: 9 });
  });

  it('run returns {exitCode, stdout, stderr} with the real non-zero exit code', async () => {
    const failed = await sandbox.run('sh', { args: ['-c', 'echo partial; echo "it broke" >&2; exit 7'] });
    expect(failed).toMatchObject({ exitCode: 7, stdout: 'partial', stderr: 'it broke' });
    const ok = await sandbox.run('sh', { args: ['-c', 'printf "a\\nb\\n"; echo $GREETING'], env: { GREETING: 'hi' } });
    expect(ok).toMatchObject({ exitCode: 0, stdout: 'a\nb\nhi', stderr: '' });
  });

  it('answers an unknown pid with RemoteAPIError, statusCode 404', async () => {
    const error = await sandbox.getProcess(999_999_999).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(sdk.RemoteAPIError);
    expect(error).toMatchObject({ statusCode: 404 });
    expect((error as Error).message).toContain('not found');
    await expect(sandbox.killProcess(999_999_999)).rejects.toMatchObject({ statusCode: 404 });
    await expect(sandbox.getStdout(999_999_999)).rejects.toMatchObject({ statusCode: 404 });
  });
});

describe('tensorlake SDK over HTTP: files and the daemon', () => {
  it('writeFile, readFile, listDirectory and deleteFile work on real files a process sees', async () => {
    const sandbox = await createSandbox();
    const content = new Uint8Array(Array.from({ length: 300 }, (_, i) => (i * 7) % 256));
    await sandbox.writeFile('/work/data/blob.bin', content);
    await sandbox.writeFile('/work/notes.txt', bytes('hello files\n'));
    expect(Buffer.from(await sandbox.readFile('/work/data/blob.bin')).equals(Buffer.from(content))).toBe(true);
    // The same file for a command in the sandbox (its working directory is the sandbox's "/").
    expect(await sandbox.run('cat', { args: ['work/notes.txt'] })).toMatchObject({ exitCode: 0, stdout: 'hello files' });

    const listing = await sandbox.listDirectory('/work');
    expect(listing.path).toBe('/work');
    expect(listing.entries.map((e) => [e.name, e.isDir])).toEqual([
      ['data', true],
      ['notes.txt', false],
    ]);
    expect(listing.entries[1].size).toBe(12);
    expect(listing.entries[1].modifiedAt).toBeInstanceOf(Date);

    await sandbox.deleteFile('/work/notes.txt');
    expect((await sandbox.listDirectory('/work')).entries.map((e) => e.name)).toEqual(['data']);
    await expect(sandbox.readFile('/work/notes.txt')).rejects.toMatchObject({ statusCode: 404 });
    await expect(sandbox.readFile('/../etc/passwd')).rejects.toMatchObject({ statusCode: 403 });
    expect(seen.filter((s) => s.call.includes('/api/v1/files')).every((s) => s.sandbox === sandbox.sandboxId)).toBe(true);
  });

  it('health and daemonInfo answer from the sandbox daemon', async () => {
    const sandbox = await createSandbox();
    expect(await sandbox.health()).toMatchObject({ healthy: true });
    await sandbox.run('true');
    const info = await sandbox.daemonInfo();
    expect(info).toMatchObject({ version: expect.stringContaining('sandbox-emulator'), runningProcesses: 0, totalProcesses: 1 });
    expect(seen.map((s) => s.call)).toEqual(expect.arrayContaining(['tensorlake-runtime GET /api/v1/health', 'tensorlake-runtime GET /api/v1/info']));
  });
});

describe('tensorlake SDK: sandbox pools', () => {
  it('createPool, getPool, listPools, updatePool, claim a sandbox that runs a process, then deletePool once it is terminated', async () => {
    const client = new sdk.SandboxClient({ apiUrl: urls.tensorlake.api, apiKey: API_KEY });
    try {
      const created = await client.createPool({ image: 'tensorlake/ubuntu-minimal', cpus: 2, memoryMb: 2048, warmContainers: 1 });
      expect(created).toMatchObject({ poolId: expect.stringMatching(/^pool-/), namespace: 'default' });
      expect(await client.getPool(created.poolId)).toMatchObject({ poolId: created.poolId, image: 'tensorlake/ubuntu-minimal', resources: { cpus: 2, memoryMb: 2048 }, warmContainers: 1 });
      expect((await client.listPools()).map((p) => p.poolId)).toContain(created.poolId);
      expect(await client.updatePool(created.poolId, { image: 'python:3.12', cpus: 1 })).toMatchObject({ poolId: created.poolId, image: 'python:3.12', resources: { cpus: 1 } });

      const claimed = await client.claim(created.poolId);
      expect(claimed).toMatchObject({ sandboxId: expect.stringMatching(/^sbx-/), status: 'running' });
      const sandbox = await sdk.Sandbox.connect({ sandboxId: claimed.sandboxId, apiUrl: urls.tensorlake.api, apiKey: API_KEY });
      made.push(sandbox);
      const result = await sandbox.run('sh', { args: ['-c', 'echo from the pool'] });
      expect(result.stdout.trim()).toBe('from the pool');

      // In use while the claimed sandbox runs: the SDK's own error.
      await expect(client.deletePool(created.poolId)).rejects.toBeInstanceOf(sdk.PoolInUseError);
      await sandbox.terminate();
      made.splice(made.indexOf(sandbox), 1);
      await client.deletePool(created.poolId);
      await expect(client.getPool(created.poolId)).rejects.toBeInstanceOf(sdk.PoolNotFoundError);
      await expect(client.claim(created.poolId)).rejects.toBeInstanceOf(sdk.PoolNotFoundError);
    } finally {
      client.close();
    }
  });
});
