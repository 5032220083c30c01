// The real @blaxel/core SDK against the emulator: one scenario, run once per transport.
//
// Why one file per transport (blaxel.test.ts for HTTP, blaxel-msw.test.ts for msw) and not one
// describe.each: the SDK fixes its control-plane base URL once per process (at import and on its
// first request, from BL_API_URL), and vitest's forks pool gives each test FILE its own process.
// So each transport gets a fresh SDK that reads its own environment, as a user's process would.
// The scenario below is the single source: both files call `describeBlaxelSdk` and nothing else.

import { randomBytes } from 'node:crypto';
import dns from 'node:dns/promises';
import http2 from 'node:http2';
import tls from 'node:tls';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import type { EmulatorApp } from '../../emulator/app.ts';
import { createEmulator } from '../../emulator/index.ts';
import { setupEmulator } from '../../emulator/transports/msw/setup-emulator.ts';

type Sdk = typeof import('@blaxel/core');
type Sandbox = InstanceType<Sdk['SandboxInstance']>;

/** A way of reaching the emulator: what the SDK needs to know, and how to check it stayed local. */
export interface BlaxelTransport {
  name: string;
  start(): Promise<RunningTransport>;
}

interface RunningTransport {
  app: EmulatorApp;
  /** BL_API_URL for the SDK; undefined leaves it on its default, https://api.blaxel.ai/v0. */
  apiUrl: string | undefined;
  /** The URL the emulated control plane hands out as a sandbox's `metadata.url`. */
  sandboxUrl(name: string): string;
  /** True when a URL the SDK fetched is one the emulator answers. */
  isEmulator(url: string): boolean;
  /** Requests no handler took (msw only; with onUnhandledRequest 'error' they also fail). */
  unhandled: string[];
  close(): Promise<void>;
}

export const httpTransport: BlaxelTransport = {
  name: 'over HTTP',
  async start() {
    const emulator = await createEmulator({ port: 0, providers: ['blaxel'] });
    const urls = await emulator.listen();
    return {
      app: emulator.app,
      apiUrl: urls.blaxel.control,
      sandboxUrl: (name) => urls.blaxel.sandbox(name),
      isEmulator: (url) => new URL(url).origin === urls.origin,
      unhandled: [],
      close: () => emulator.close(),
    };
  },
};

export const mswTransport: BlaxelTransport = {
  name: 'through msw',
  async start() {
    // 'error': a request to any host the emulator does not claim fails the call, loudly.
    const emulator = setupEmulator({ providers: ['blaxel'], onUnhandledRequest: 'error' });
    const unhandled: string[] = [];
    emulator.server.events.on('request:unhandled', ({ request }) => unhandled.push(`${request.method} ${request.url}`));
    await emulator.start();
    const control = emulator.urls.blaxel.control;
    // Sandbox hosts are `sbx-{name}-{workspace}.{region}.bl.run`: the part after the name.
    const hostTail = new URL(emulator.urls.blaxel.sandbox('x')).hostname.slice('sbx-x'.length);
    const isSandboxUrl = ({ protocol, hostname }: URL) => protocol === 'https:' && hostname.startsWith('sbx-') && hostname.endsWith(hostTail);
    return {
      app: emulator.app,
      apiUrl: undefined,
      sandboxUrl: (name) => emulator.urls.blaxel.sandbox(name),
      isEmulator: (url) => url.startsWith(`${control}/`) || isSandboxUrl(new URL(url)),
      unhandled,
      close: () => emulator.close(),
    };
  },
};

/**
 * The environment the SDK runs in. Every BL_* variable of the caller is removed first, so a
 * developer's own BL_REGION, BL_ENV, BL_RUN_URL or BL_SANDBOX_<NAME>_URL cannot send a call to
 * Blaxel. BL_DISABLE_H2: without it the SDK sends https control-plane calls through its own
 * node:http2 pool, which msw cannot see (and which would reach the real api.blaxel.ai).
 */
function sdkEnv(apiUrl: string | undefined, home: string): Record<string, string | undefined> {
  const env: Record<string, string | undefined> = {};
  for (const key of Object.keys(process.env)) if (key.startsWith('BL_')) env[key] = undefined;
  return { ...env, BL_WORKSPACE: 'local', BL_API_KEY: 'test', BL_API_URL: apiUrl, BL_DISABLE_H2: 'true', DO_NOT_TRACK: '1', HOME: home };
}

const SDK_OWNER = Symbol.for('sandbox-emulator.contracts.blaxel-sdk');

/**
 * One transport per process: the SDK keeps the control-plane URL it first saw, so a second
 * transport in the same process would talk to the first one's emulator. vitest's default
 * (isolate: true) runs each file in its own process; this turns a run without it into a clear
 * failure instead of a confusing one.
 */
function claimSdk(transport: string): void {
  const owner = (globalThis as Record<symbol, unknown>)[SDK_OWNER];
  if (owner !== undefined && owner !== transport) {
    throw new Error(
      `Failed to start the @blaxel/core scenario ${transport}: this process already ran it ${String(owner)}, and the SDK keeps its first control-plane URL. Run the test files isolated (vitest's default, isolate: true).`,
    );
  }
  (globalThis as Record<symbol, unknown>)[SDK_OWNER] = transport;
}

/** Text handed to a callback, with a way to wait until some of it has arrived. */
class Received {
  readonly chunks: string[] = [];
  private waiters: Array<{ text: string; resolve(): void }> = [];

  readonly push = (chunk: string): void => {
    this.chunks.push(chunk);
    const all = this.text();
    this.waiters = this.waiters.filter((w) => (all.includes(w.text) ? (w.resolve(), false) : true));
  };

  text(): string {
    return this.chunks.join('');
  }

  /** Resolves once `text` has arrived; fails after 10 s with what did arrive. */
  until(text: string, what: string): Promise<void> {
    if (this.text().includes(text)) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`Failed to see ${JSON.stringify(text)} in ${what}: got ${JSON.stringify(this.chunks)}.`)), 10_000);
      this.waiters.push({ text, resolve: () => (clearTimeout(timer), resolve()) });
    });
  }
}

/** sdk.process.wait polls; a short interval keeps the tests quick. */
const WAIT = { interval: 50, maxWait: 10_000 };

export function describeBlaxelSdk(transport: BlaxelTransport): void {
  describe(`@blaxel/core ${transport.name}`, () => {
    let sdk: Sdk;
    let target: RunningTransport;
    let home: string;
    let cwd: string;
    const fetched: string[] = [];
    let unwrappedFetch: typeof fetch;
    // The SDK's HTTP/2 pool (edge sessions, and https control-plane calls on Node < 24) resolves
    // the host, then opens TLS and HTTP/2 itself: past fetch, so past msw and the fetch record.
    // Offline it falls back to fetch after the lookup fails, so only these spies can tell.
    const sockets = [vi.spyOn(dns, 'lookup'), vi.spyOn(tls, 'connect'), vi.spyOn(http2, 'connect')];

    beforeAll(async () => {
      claimSdk(transport.name);
      target = await transport.start();
      // The SDK reads .env and blaxel.toml from the working directory when it is imported,
      // and ~/.blaxel/config.yaml later: an empty folder for both keeps a developer's own out.
      home = await mkdtemp(join(tmpdir(), 'blaxel-sdk-'));
      cwd = process.cwd();
      process.chdir(home);
      for (const [key, value] of Object.entries(sdkEnv(target.apiUrl, home))) vi.stubEnv(key, value);
      // Every fetch the SDK makes is recorded, to prove none left the emulator. Wrapped after
      // msw has patched fetch, so this sees the SDK's calls and then hands them to msw.
      const inner = (unwrappedFetch = globalThis.fetch);
      globalThis.fetch = ((input: RequestInfo | URL, init?: RequestInit) => {
        fetched.push(input instanceof Request ? input.url : String(input));
        return inner(input, init);
      }) as typeof fetch;
      // Imported only now, so that it reads the environment above.
      sdk = await import('@blaxel/core');
    });

    afterEach(async () => {
      try {
        expect(target.app.violations).toEqual([]);
        expect(target.unhandled).toEqual([]);
        expect(fetched.filter((url) => !target.isEmulator(url))).toEqual([]);
        expect(fetched.length).toBeGreaterThan(0);
        // No lookup, TLS or HTTP/2 connection of the SDK's own: nothing went around fetch.
        for (const spy of sockets) expect(spy.mock.calls, 'the SDK connected on its own, around fetch (is BL_DISABLE_H2 set?)').toEqual([]);
      } finally {
        fetched.length = 0;
        await target.app.reset();
      }
    });

    afterAll(async () => {
      if (unwrappedFetch) globalThis.fetch = unwrappedFetch;
      for (const spy of sockets) spy.mockRestore();
      vi.unstubAllEnvs();
      if (cwd) process.chdir(cwd);
      await target?.close();
      if (home) await rm(home, { recursive: true, force: true });
    });

    /** A sandbox made through the control plane, in the Sandbox form (no region, so no warning). */
    async function sandboxNamed(name: string): Promise<Sandbox> {
      const sandbox = await sdk.SandboxInstance.create({ metadata: { name }, spec: { runtime: { image: 'blaxel/base-image:latest' } } });
      expect(sandbox.metadata.url).toBe(target.sandboxUrl(name));
      return sandbox;
    }

    it('SandboxInstance.create and get go through the emulated control plane', async () => {
      // The short form has no region, and the SDK warns about it; that warning is expected.
      const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
      let created: Sandbox;
      try {
        created = await sdk.SandboxInstance.create({ name: 'sdk-control' });
        expect(warn).toHaveBeenCalledWith(expect.stringContaining("'region' is not set"));
      } finally {
        warn.mockRestore();
      }
      expect(created.metadata).toMatchObject({ name: 'sdk-control', url: target.sandboxUrl('sdk-control') });
      expect(created.status).toBe('DEPLOYED');
      expect(created.spec.region).toBeUndefined();

      const found = await sdk.SandboxInstance.get('sdk-control');
      expect(found.metadata).toMatchObject({ name: 'sdk-control', url: target.sandboxUrl('sdk-control') });
      // The control-plane client throws the parsed error body, not a ResponseError.
      await expect(sdk.SandboxInstance.get('sdk-nowhere')).rejects.toEqual({ error: 'sandbox sdk-nowhere not found' });

      // The process calls reach the sandbox at the URL the control plane gave.
      const hello = await found.process.exec({ command: 'echo hello', waitForCompletion: true });
      expect(hello).toMatchObject({ status: 'completed', exitCode: 0, stdout: 'hello\n' });
    });

    it('exec with waitForCompletion answers the real exit code and output of a failing command', async () => {
      const sandbox = await sandboxNamed('sdk-fail');
      const result = await sandbox.process.exec({ name: 'fail', command: "printf 'out\\n'; printf 'err\\n' >&2; exit 3", waitForCompletion: true });
      expect(result).toMatchObject({ name: 'fail', status: 'failed', exitCode: 3, stdout: 'out\n', stderr: 'err\n' });
      expect(result.logs).toContain('out\n');
      expect(result.logs).toContain('err\n');

      expect(await sandbox.process.logs('fail', 'stdout')).toBe('out\n');
      expect(await sandbox.process.logs('fail', 'stderr')).toBe('err\n');
      const all = await sandbox.process.logs('fail', 'all');
      expect(all).toContain('out\n');
      expect(all).toContain('err\n');
      expect(await sandbox.process.logs(result.pid)).toBe(all);
    });

    it('exec with waitForCompletion and callbacks streams each line, then answers the result', async () => {
      const sandbox = await sandboxNamed('sdk-callbacks');
      const log = new Received();
      const stdout = new Received();
      const stderr = new Received();
      const result = await sandbox.process.exec({
        command: "printf 'a\\n'; printf 'b\\n' >&2; printf 'c\\n'",
        waitForCompletion: true,
        onLog: log.push,
        onStdout: stdout.push,
        onStderr: stderr.push,
      });
      expect(result).toMatchObject({ status: 'completed', exitCode: 0, stdout: 'a\nc\n', stderr: 'b\n' });
      expect(stdout.text()).toBe('a\nc\n');
      expect(stderr.text()).toBe('b\n');
      expect([...log.text()].sort().join('')).toBe([...'a\nb\nc\n'].sort().join(''));
    });

    it('exec without waitForCompletion, then wait, get, list and logs', async () => {
      const sandbox = await sandboxNamed('sdk-background');
      const started = await sandbox.process.exec({ name: 'bg', command: "printf 'one\\n'; printf 'two\\n' >&2" });
      expect(started).toMatchObject({ name: 'bg', command: "printf 'one\\n'; printf 'two\\n' >&2" });
      expect(['running', 'completed']).toContain(started.status);

      const done = await sandbox.process.wait('bg', WAIT);
      expect(done).toMatchObject({ pid: started.pid, status: 'completed', exitCode: 0, stdout: 'one\n', stderr: 'two\n' });
      expect(await sandbox.process.get(started.pid)).toMatchObject({ name: 'bg', status: 'completed' });
      const listed = await sandbox.process.list();
      expect(listed.map((p) => [p.name, p.status])).toEqual([['bg', 'completed']]);
      expect(await sandbox.process.logs('bg', 'stdout')).toBe('one\n');
      expect(await sandbox.process.logs('bg', 'stderr')).toBe('two\n');
    });

    it('exec with onLog hands over output while the process still runs', async () => {
      const sandbox = await sandboxNamed('sdk-live');
      const log = new Received();
      const started = await sandbox.process.exec({ name: 'live', command: 'echo first; sleep 30', onLog: log.push });
      // With a callback and no waitForCompletion, exec answers at once and follows the logs.
      expect(started).toMatchObject({ name: 'live', status: 'running' });
      expect(started).toHaveProperty('close');
      try {
        await log.until('first', 'onLog');
        expect(await sandbox.process.get('live')).toMatchObject({ status: 'running', stdout: 'first\n' });
        expect(await sandbox.process.kill('live')).toEqual({ message: expect.any(String) });
        expect(await sandbox.process.wait('live', WAIT)).toMatchObject({ status: 'killed' });
      } finally {
        if ('close' in started) started.close();
      }
    });

    it('exec with waitForCompletion and onStdout streams before the end; a kill ends the call', async () => {
      const sandbox = await sandboxNamed('sdk-live-wait');
      const stdout = new Received();
      const call = sandbox.process.exec({ name: 'held', command: 'echo first; sleep 30', waitForCompletion: true, onStdout: stdout.push });
      await stdout.until('first', 'onStdout');
      expect(await sandbox.process.get('held')).toMatchObject({ status: 'running' });
      await sandbox.process.kill('held');
      const result = await call;
      expect(result).toMatchObject({ name: 'held', status: 'killed', stdout: expect.stringContaining('first\n') });
      expect(stdout.text()).toContain('first\n');
    });

    it('streamLogs calls onLog, onStdout and onStderr as the process writes; stop ends the stream', async () => {
      const sandbox = await sandboxNamed('sdk-stream');
      await sandbox.process.exec({ name: 'talker', command: "printf 'o1\\n'; printf 'e1\\n' >&2; sleep 30" });
      const log = new Received();
      const stdout = new Received();
      const stderr = new Received();
      const errors: Error[] = [];
      const stream = sandbox.process.streamLogs('talker', { onLog: log.push, onStdout: stdout.push, onStderr: stderr.push, onError: (e) => errors.push(e) });
      try {
        await Promise.all([stdout.until('o1', 'onStdout'), stderr.until('e1', 'onStderr')]);
        expect(await sandbox.process.get('talker')).toMatchObject({ status: 'running' });
        expect(await sandbox.process.stop('talker')).toEqual({ message: expect.any(String) });
        // The stream ends by itself when the process ends.
        await stream.wait();
      } finally {
        stream.close();
      }
      expect(errors).toEqual([]);
      expect(stdout.chunks).toEqual(['o1']);
      expect(stderr.chunks).toEqual(['e1']);
      // Lines with neither prefix reach onLog only: the server's stop banner is one.
      expect([...log.chunks].sort()).toEqual(['', '[Process is being gracefully terminated]', 'e1', 'o1']);
      expect(await sandbox.process.get('talker')).toMatchObject({ status: 'stopped' });
    });

    it('stop and kill end a long sleep, as stopped and killed', async () => {
      const sandbox = await sandboxNamed('sdk-signals');
      await sandbox.process.exec({ name: 'to-stop', command: 'sleep 30' });
      await sandbox.process.exec({ name: 'to-kill', command: 'sleep 30' });
      await sandbox.process.stop('to-stop');
      await sandbox.process.kill('to-kill');
      expect(await sandbox.process.wait('to-stop', WAIT)).toMatchObject({ status: 'stopped' });
      expect(await sandbox.process.wait('to-kill', WAIT)).toMatchObject({ status: 'killed' });
      const listed = await sandbox.process.list();
      expect(Object.fromEntries(listed.map((p) => [p.name, p.status]))).toEqual({ 'to-stop': 'stopped', 'to-kill': 'killed' });
    });

    it('fs and process share the folder: mkdir, write a script, run it there, read its result, ls, rm', async () => {
      const sandbox = await sandboxNamed('sdk-files');
      expect(await sandbox.fs.mkdir('/app/logs')).toMatchObject({ path: '/app/logs' });
      await sandbox.fs.write('/app/run.sh', 'echo "hello from $(basename "$PWD")" > result.txt\necho done\n');
      const run = await sandbox.process.exec({ command: 'sh run.sh', workingDir: '/app', waitForCompletion: true });
      expect(run).toMatchObject({ status: 'completed', exitCode: 0, stdout: 'done\n', workingDir: '/app' });
      expect(await sandbox.fs.read('/app/result.txt')).toBe('hello from app\n');
      const listed = await sandbox.fs.ls('/app');
      expect(listed.files.map((f) => f.name)).toEqual(['result.txt', 'run.sh']);
      expect(listed.subdirectories.map((d) => d.path)).toEqual(['/app/logs']);
      await sandbox.fs.rm('/app/result.txt');
      expect((await sandbox.fs.ls('/app')).files.map((f) => f.name)).toEqual(['run.sh']);
      // A directory that is not empty goes only recursively.
      await expect(sandbox.fs.rm('/app')).rejects.toMatchObject({ status: 422 });
      await sandbox.fs.rm('/app', true);
      const gone = await sandbox.fs.ls('/app').then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(gone).toBeInstanceOf(sdk.ResponseError);
      expect(gone).toMatchObject({ status: 404 });
    });

    it('fs.writeBinary and readBinary round-trip random bytes, small and past the multipart threshold', async () => {
      const sandbox = await sandboxNamed('sdk-binary');
      const small = randomBytes(100_000);
      await sandbox.fs.writeBinary('/data/small.bin', small);
      expect(Buffer.from(await (await sandbox.fs.readBinary('/data/small.bin')).arrayBuffer()).equals(small)).toBe(true);
      // Over 5 MiB the SDK uploads in parts: initiate, 5 MiB parts in parallel, complete.
      const large = randomBytes(11 * 1024 * 1024 + 17);
      await sandbox.fs.writeBinary('/data/large.bin', large);
      const back = Buffer.from(await (await sandbox.fs.readBinary('/data/large.bin')).arrayBuffer());
      expect(back.length).toBe(large.length);
      expect(back.equals(large)).toBe(true);
      const text = 'x'.repeat(6 * 1024 * 1024);
      await sandbox.fs.write('/data/large.txt', text);
      expect(await sandbox.fs.read('/data/large.txt')).toBe(text);
    });

    it('fs.cp copies through a process (relative paths: processes see the host folder), and restartOnFailure restarts', async () => {
      const sandbox = await sandboxNamed('sdk-cp');
      await sandbox.fs.write('/src/a.txt', 'copied');
      expect(await sandbox.fs.cp('src/a.txt', 'src/b.txt', { maxWait: 10_000 })).toMatchObject({ message: 'Files copied' });
      expect(await sandbox.fs.read('/src/b.txt')).toBe('copied');
      const flaky = await sandbox.process.exec({ command: 'echo run >> runs.txt; exit 1', restartOnFailure: true, maxRestarts: 2, waitForCompletion: true });
      expect(flaky).toMatchObject({ status: 'failed', restartCount: 2 });
      expect(await sandbox.fs.read('/runs.txt')).toBe('run\nrun\nrun\n');
    });

    it('fs.watch calls back for each change in the directory until closed', async () => {
      const sandbox = await sandboxNamed('sdk-watch');
      await sandbox.fs.mkdir('/w');
      const seen: Array<{ op: string; name: string; path: string }> = [];
      const errors: Error[] = [];
      const handle = sandbox.fs.watch('/w', (event) => void seen.push(event as never), { withContent: false, onError: (e) => void errors.push(e) });
      try {
        // The watch is armed on the server shortly after the call; keep writing until it sees one.
        for (let i = 0; seen.length === 0; i++) {
          expect(i, 'no watch event arrived').toBeLessThan(200);
          await sandbox.fs.write(`/w/f${i}.txt`, 'x');
        }
        expect(seen[0]).toMatchObject({ path: '/w', name: expect.stringMatching(/^f\d+\.txt$/) });
        expect(['CREATE', 'WRITE']).toContain(seen[0].op);
      } finally {
        handle.close();
      }
      expect(errors).toEqual([]);
    });

    it('an unknown process is the SDK ResponseError with status 404', async () => {
      const sandbox = await sandboxNamed('sdk-missing');
      for (const call of [
        () => sandbox.process.get('ghost'),
        () => sandbox.process.logs('ghost'),
        () => sandbox.process.stop('ghost'),
        () => sandbox.process.kill('ghost'),
      ]) {
        const error = await call().then(
          () => undefined,
          (e: unknown) => e,
        );
        expect(error).toBeInstanceOf(sdk.ResponseError);
        expect(error).toMatchObject({ name: 'ResponseError', status: 404 });
      }
    });
  });
}
