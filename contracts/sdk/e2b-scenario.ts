// The real `e2b` npm SDK (2.51.0, the newest release; it runs on Node 20) against the emulator:
// one scenario, run once per transport (e2b.test.ts over HTTP, e2b-msw.test.ts through msw).
//
// Over HTTP the SDK is aimed as it allows for a local server: `apiUrl` at the lifecycle API and
// `sandboxUrl` at envd (every sandbox shares it; the SDK names the sandbox in a header). Through
// msw it is given nothing but its key: it calls E2B's real hosts (api.e2b.app, sandbox.e2b.app)
// and msw answers there. One file per transport because the SDK builds its fetch once per
// process, on its first request; vitest's forks pool gives each file its own process.
// Every wait is on an event (the SDK's own promises, the emulator's activity feed), never a sleep.

import { createServer } from 'node:net';
import { availableParallelism, totalmem } from 'node:os';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import type { EmulatorApp } from '../../emulator/app.ts';
import { createEmulator } from '../../emulator/index.ts';
import { waitUntil } from '../kit/wait-until.ts';
import { setupEmulator } from '../../emulator/transports/msw/setup-emulator.ts';

type Sdk = typeof import('e2b');
type Sandbox = InstanceType<Sdk['Sandbox']>;

const API_KEY = 'e2b_0123456789abcdef';

/** A way of reaching the emulator: what the SDK is given, and where its requests went. */
export interface E2bTransport {
  name: string;
  start(): Promise<RunningTransport>;
}

interface RunningTransport {
  app: EmulatorApp;
  /** The connection options every SDK call gets. */
  opts: { apiKey: string; apiUrl?: string; sandboxUrl?: string };
  /** Requests that reached no handler (msw only; with onUnhandledRequest 'error' they also fail). */
  unhandled: string[];
  /** Every URL the SDK's requests went to, and the hosts they may go to (msw only). */
  seen: string[];
  hosts?: string[];
  close(): Promise<void>;
}

export const httpTransport: E2bTransport = {
  name: 'over HTTP',
  async start() {
    // With a token, a request without `X-API-KEY: <token>` is refused: the SDK sends the key it is given.
    const emulator = await createEmulator({ port: 0, providers: ['e2b'], tokens: { e2b: API_KEY } });
    const { origin } = await emulator.listen();
    return {
      app: emulator.app,
      opts: { apiKey: API_KEY, apiUrl: `${origin}/e2b`, sandboxUrl: `${origin}/e2b/envd` },
      unhandled: [],
      seen: [],
      close: () => emulator.close(),
    };
  },
};

export const mswTransport: E2bTransport = {
  name: 'through msw',
  async start() {
    // 'error': a request to any host the emulator does not claim fails the call, loudly.
    const emulator = setupEmulator({ providers: ['e2b'], tokens: { e2b: API_KEY }, onUnhandledRequest: 'error' });
    const unhandled: string[] = [];
    const seen: string[] = [];
    emulator.server.events.on('request:unhandled', ({ request }) => unhandled.push(`${request.method} ${request.url}`));
    emulator.server.events.on('request:start', ({ request }) => seen.push(request.url));
    await emulator.start();
    const hosts = [new URL(emulator.urls.e2b.api).host, new URL(emulator.urls.e2b.envd).host];
    return { app: emulator.app, opts: { apiKey: API_KEY }, unhandled, seen, hosts, close: () => emulator.close() };
  },
};

/** A port nothing listens on now, for a server a test starts. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });
}

export function describeE2bSdk(transport: E2bTransport): void {
  let sdk: Sdk;
  let running: RunningTransport;
  let opts: RunningTransport['opts'];
  let emulator: { app: EmulatorApp };
  const made: Sandbox[] = [];

  beforeAll(async () => {
    // Keep the SDK away from real hosts and from the developer's own account.
    for (const name of Object.keys(process.env)) if (name.startsWith('E2B_')) vi.stubEnv(name, undefined);
    // The package's types give its namespace a `default` that TypeScript cannot match to itself.
    sdk = (await import('e2b')) as unknown as Sdk;
    running = await transport.start();
    opts = running.opts;
    emulator = running;
  });

  afterEach(async () => {
    await Promise.all(made.splice(0).map((sandbox) => sandbox.kill().catch(() => undefined)));
    // Every answer the SDK got, each frame of each stream included, matched our documents.
    expect(running.app.violations).toEqual([]);
    expect(running.unhandled).toEqual([]);
  });

  afterAll(async () => {
    await running?.close();
    vi.unstubAllEnvs();
  });

  async function create(timeoutMs = 60_000): Promise<Sandbox> {
    const sandbox = await sdk.Sandbox.create({ ...opts, timeoutMs });
    made.push(sandbox);
    return sandbox;
  }

  describe(`the e2b SDK against the emulator ${transport.name}`, () => {
    it('Sandbox.create, then commands.run with onStdout and onStderr: the real output, in the callbacks and the result', async () => {
      const sandbox = await create();
      expect(sandbox.sandboxId).toMatch(/^[a-z0-9]{20}$/);
      const out: string[] = [];
      const err: string[] = [];
      const result = await sandbox.commands.run('echo hello; echo oops >&2; echo "$GREETING from $PWD"', {
        envs: { GREETING: 'hi' },
        onStdout: (data) => void out.push(data),
        onStderr: (data) => void err.push(data),
      });
      expect(result.exitCode).toBe(0);
      expect(result.stdout.split('\n')[0]).toBe('hello');
      expect(result.stdout).toMatch(/^hi from \/.+$/m);
      expect(result.stderr).toBe('oops\n');
      expect(out.join('')).toBe(result.stdout);
      expect(err.join('')).toBe('oops\n');
    });

    it('a non-zero exit is the SDK’s own CommandExitError, with the exit code and the output', async () => {
      const sandbox = await create();
      const failed = await sandbox.commands.run('echo partial; echo why >&2; exit 3').then(
        () => undefined,
        (error: unknown) => error,
      );
      expect(failed).toBeInstanceOf(sdk.CommandExitError);
      const error = failed as InstanceType<Sdk['CommandExitError']>;
      expect([error.exitCode, error.stdout, error.stderr, error.message]).toEqual([3, 'partial\n', 'why\n', 'exit status 3']);
    });

    it('a background command: listed, connected to, fed stdin, then killed, and every handle sees the end', async () => {
      const sandbox = await create();
      let seen = '';
      let gotLine!: () => void;
      const lineBack = new Promise<void>((resolve) => (gotLine = resolve));
      const onStdout = (data: string) => {
        seen += data;
        if (seen.includes('got ping')) gotLine();
      };
      const background = await sandbox.commands.run('read line; echo "got $line"; exec sleep 300', { background: true, stdin: true, timeoutMs: 0, onStdout });
      expect((await sandbox.commands.list()).map((p) => p.pid)).toContain(background.pid);
      const connected = await sandbox.commands.connect(background.pid, { timeoutMs: 0 });
      await sandbox.commands.sendStdin(background.pid, 'ping\n');
      await lineBack;
      expect(await sandbox.commands.kill(background.pid)).toBe(true);
      for (const handle of [background, connected]) {
        const ended = await handle.wait().then(
          () => undefined,
          (error: unknown) => error as InstanceType<Sdk['CommandExitError']>,
        );
        expect(ended).toBeInstanceOf(sdk.CommandExitError);
        expect([ended!.exitCode, ended!.message]).toEqual([-1, 'signal: killed']);
      }
      expect((await sandbox.commands.list()).map((p) => p.pid)).not.toContain(background.pid);
      // Killing what is gone is the SDK's `false`, from envd's not_found.
      expect(await sandbox.commands.kill(background.pid)).toBe(false);
    });

    it('a command past its timeoutMs is the SDK’s TimeoutError', async () => {
      const sandbox = await create();
      const late = await sandbox.commands.run('sleep 30', { timeoutMs: 300 }).then(
        () => undefined,
        (error: unknown) => error,
      );
      expect(late).toBeInstanceOf(sdk.TimeoutError);
    });

    it('list, getInfo, connect and kill of sandboxes, and a killed one is gone for each of them', async () => {
      const sandbox = await create();
      const listed = await sdk.Sandbox.list(opts).nextItems();
      expect(listed.map((s) => s.sandboxId)).toContain(sandbox.sandboxId);
      expect((await sandbox.getInfo()).state).toBe('running');
      const again = await sdk.Sandbox.connect(sandbox.sandboxId, opts);
      expect((await again.commands.run('echo same box')).stdout).toBe('same box\n');
      expect(await sandbox.isRunning()).toBe(true);
      expect(await sdk.Sandbox.kill(sandbox.sandboxId, opts)).toBe(true);
      expect(await sdk.Sandbox.kill(sandbox.sandboxId, opts)).toBe(false);
      await expect(sandbox.getInfo()).rejects.toBeInstanceOf(sdk.NotFoundError);
      await expect(sdk.Sandbox.connect(sandbox.sandboxId, opts)).rejects.toBeInstanceOf(sdk.NotFoundError);
      expect(await sandbox.isRunning()).toBe(false);
    });

    it('a sandbox ends when its timeout runs out, with the processes in it', async () => {
      const ended = new Promise<string>((resolve) => {
        const stop = emulator.app.activity.on((event) => {
          if (event.type === 'sandbox-deleted' && event.provider === 'e2b') {
            stop();
            resolve(event.sandboxId);
          }
        });
      });
      const sandbox = await create(1_000);
      const running = await sandbox.commands.run('exec sleep 300', { background: true, timeoutMs: 0 });
      expect(await ended).toBe(sandbox.sandboxId);
      const end = await running.wait().then(
        () => undefined,
        (error: unknown) => error,
      );
      expect(end).toBeInstanceOf(Error);
      expect(await sandbox.isRunning()).toBe(false);
    });

    it('sandbox.files: write, read (text and bytes), exists, makeDir, list, getInfo, rename, remove, on the files its commands see', async () => {
      const sandbox = await create();
      expect(await sandbox.files.write('/home/user/notes.txt', 'hello file')).toMatchObject({ path: '/home/user/notes.txt', name: 'notes.txt', type: 'file' });
      expect(await sandbox.files.read('notes.txt')).toBe('hello file');
      // The same folder as the commands' /home/user, their working directory.
      expect((await sandbox.commands.run('cat notes.txt; printf made > made.txt')).stdout).toBe('hello file');
      expect(await sandbox.files.read('/home/user/made.txt')).toBe('made');
      expect([await sandbox.files.exists('notes.txt'), await sandbox.files.exists('missing.txt')]).toEqual([true, false]);
      expect([await sandbox.files.makeDir('/home/user/d/e'), await sandbox.files.makeDir('/home/user/d/e')]).toEqual([true, false]);
      const listed = await sandbox.files.list('/home/user');
      expect(listed.map((e) => [e.name, e.type, e.path]).sort()).toEqual([
        ['d', 'dir', '/home/user/d'],
        ['made.txt', 'file', '/home/user/made.txt'],
        ['notes.txt', 'file', '/home/user/notes.txt'],
      ]);
      expect(await sandbox.files.getInfo('notes.txt')).toMatchObject({ name: 'notes.txt', type: 'file', size: 10, permissions: '-rw-r--r--' });
      expect((await sandbox.files.rename('notes.txt', 'renamed.txt')).path).toBe('/home/user/renamed.txt');
      await sandbox.files.remove('renamed.txt');
      await expect(sandbox.files.read('renamed.txt')).rejects.toBeInstanceOf(sdk.FileNotFoundError);
      // Several files in one request, bytes kept as they are.
      await sandbox.files.write([{ path: 'x/1.txt', data: 'one' }, { path: 'x/2.bin', data: new Uint8Array([0xff, 0, 0x80]).buffer }]);
      expect([...(await sandbox.files.read('x/2.bin', { format: 'bytes' }))]).toEqual([0xff, 0, 0x80]);
      expect(await sandbox.files.read('x/1.txt')).toBe('one');
      // A symlink a command made, as envd describes one: its own name, its target's type, where it leads.
      await sandbox.commands.run('ln -s x/1.txt link.txt');
      expect(await sandbox.files.getInfo('link.txt')).toMatchObject({ name: 'link.txt', type: 'file', path: '/home/user/link.txt', symlinkTarget: '/home/user/x/1.txt', permissions: 'Lrwxrwxrwx' });
      // Root's relative paths are below its home, /root.
      expect((await sandbox.files.write('as-root.txt', 'r', { user: 'root' })).path).toBe('/root/as-root.txt');
      expect(await sandbox.files.read('/root/as-root.txt')).toBe('r');
      // Nothing leads out of the sandbox's folder: `..` above its / stays in it.
      await sandbox.files.write('/home/user/../../../escape.txt', 'kept in');
      expect((await sandbox.commands.run('cat escape.txt')).stdout).toBe('kept in');
    });

    it('downloadUrl and uploadUrl of a secure sandbox: URLs signed by the SDK work with no token, until their expiry', async () => {
      const sandbox = await create();
      // The SDK's default since v2: the sandbox holds a token, and its URLs are signed with it.
      // They are fetched as a browser would, with nothing else: through msw on the sandbox's own
      // host; over HTTP at the server's root, where the SDK puts /files given sandboxUrl.
      expect(new URL(await sandbox.downloadUrl('a.txt')).searchParams.get('signature')).toMatch(/^v1_[A-Za-z0-9+/]{43}$/);
      const form = new FormData();
      form.append('file', new Blob(['sent by url']), 'by-url.txt');
      const uploaded = await fetch(await sandbox.uploadUrl('/home/user/by-url.txt', { useSignatureExpiration: 60 }), { method: 'POST', body: form });
      expect([uploaded.status, await uploaded.json()]).toEqual([200, [{ path: '/home/user/by-url.txt', name: 'by-url.txt', type: 'file' }]]);
      expect(await sandbox.files.read('/home/user/by-url.txt')).toBe('sent by url');
      const downloaded = await fetch(await sandbox.downloadUrl('/home/user/by-url.txt'));
      expect([downloaded.status, await downloaded.text()]).toEqual([200, 'sent by url']);
      const expired = await fetch(await sandbox.downloadUrl('/home/user/by-url.txt', { useSignatureExpiration: -10 }));
      expect([expired.status, await expired.json()]).toEqual([401, { code: 401, message: 'signature is already expired' }]);
      const unsigned = new URL(await sandbox.downloadUrl('/home/user/by-url.txt'));
      unsigned.searchParams.delete('signature');
      const refused = await fetch(unsigned.toString());
      // On the sandbox's own host envd wants a signature; at the root an unsigned URL names no sandbox.
      if (opts.sandboxUrl) expect([refused.status, refused.headers.get('x-emulator-reason')]).toEqual([502, expect.stringMatching(/no secure sandbox signed this URL/)]);
      else expect([refused.status, await refused.json()]).toEqual([401, { code: 401, message: 'missing signature query parameter' }]);
    });

    it('a sandbox killed while a command runs: the command’s wait is the SDK’s TimeoutError saying so, as its stream drops', async () => {
      const sandbox = await create();
      const running = await sandbox.commands.run('exec sleep 300', { background: true, timeoutMs: 0 });
      await sandbox.kill();
      const err = await running.wait().then(
        () => undefined,
        (error: unknown) => error as Error,
      );
      expect(err).toBeInstanceOf(sdk.TimeoutError);
      expect(err!.message).toContain('sandbox was killed or reached its end of life');
    });

    it('files.write with gzip: the body is decompressed into the file; removing a path that is not there is no error', async () => {
      const sandbox = await create();
      await sandbox.files.write('zipped.txt', 'compressed on the way', { gzip: true });
      expect(await sandbox.files.read('zipped.txt')).toBe('compressed on the way');
      await sandbox.files.write([{ path: 'z/1.txt', data: 'one' }, { path: 'z/2.txt', data: 'two' }], { gzip: true });
      expect((await sandbox.commands.run('cat z/1.txt z/2.txt')).stdout).toBe('onetwo');
      await sandbox.files.remove('never-there.txt');
    });

    it('files.watchDir: files made by the file API and by a command, changed and removed, each an event the callback gets; stop() ends it', async () => {
      const sandbox = await create();
      await sandbox.files.makeDir('/home/user/watched/deep');
      const seen: Array<{ name: string; type: string }> = [];
      let changed = () => {};
      const until = (wanted: (e: { name: string; type: string }) => boolean, what: string) =>
        new Promise<void>((resolve, reject) => {
          const timer = setTimeout(() => reject(new Error(`Failed to see ${what}: got ${JSON.stringify(seen)}.`)), 10_000);
          changed = () => {
            if (seen.some(wanted)) (clearTimeout(timer), resolve());
          };
          changed();
        });
      let exited = false;
      const handle = await sandbox.files.watchDir('/home/user/watched', (event) => void (seen.push({ name: event.name, type: event.type }), changed()), {
        recursive: true,
        timeoutMs: 0,
        onExit: () => void (exited = true),
      });
      await sandbox.files.write('/home/user/watched/a.txt', 'one');
      await until((e) => e.name === 'a.txt' && e.type === 'create', 'a.txt created');
      await sandbox.commands.run('printf x > watched/deep/b.txt');
      // Overwritten through the file API: a WRITE, as envd's write in place is, not a second CREATE.
      await sandbox.files.write('/home/user/watched/a.txt', 'two');
      await until((e) => e.name === 'a.txt' && e.type === 'write', 'a.txt written');
      expect(seen.filter((e) => e.name === 'a.txt' && e.type === 'create')).toHaveLength(1);
      await until((e) => e.name === 'deep/b.txt' && e.type === 'create', 'deep/b.txt, named below the watched folder');
      await sandbox.files.remove('/home/user/watched/a.txt');
      await until((e) => e.name === 'a.txt' && e.type === 'remove', 'a.txt removed');
      // The emulator's own temporary file of a write never shows.
      expect(seen.filter((e) => e.name.endsWith('.part'))).toEqual([]);
      await handle.stop();
      expect(exited).toBe(false);
      await expect(sandbox.files.watchDir('/home/user/nowhere', () => {})).rejects.toBeInstanceOf(sdk.FileNotFoundError);
      // A sandbox that ends takes its watches with it: the SDK's onExit is called.
      const ended = new Promise<void>((resolve) => void sandbox.files.watchDir('/home/user', () => {}, { timeoutMs: 0, onExit: () => resolve() }).then(() => sandbox.kill()));
      await ended;
    });

    it('file metadata: files.write with metadata, seen by getInfo, list, rename and a watch with includeEntry; a write without it clears it', async () => {
      const sandbox = await create();
      await sandbox.files.makeDir('/home/user/meta');
      const entries: Array<{ name: string; type: string; metadata?: Record<string, string> }> = [];
      let seen = () => {};
      const handle = await sandbox.files.watchDir('/home/user/meta', (event) => void (event.entry && entries.push({ name: event.name, type: event.type, metadata: event.entry.metadata }), seen()), { includeEntry: true, timeoutMs: 0 });
      const written = await sandbox.files.write('/home/user/meta/doc.txt', 'body', { metadata: { Author: 'ada', purpose: 'offline' } });
      // Keys come back lower-cased, as envd stores them.
      expect(written.metadata).toEqual({ author: 'ada', purpose: 'offline' });
      expect((await sandbox.files.getInfo('/home/user/meta/doc.txt')).metadata).toEqual({ author: 'ada', purpose: 'offline' });
      expect((await sandbox.files.list('/home/user/meta')).map((e) => [e.name, e.metadata])).toEqual([['doc.txt', { author: 'ada', purpose: 'offline' }]]);
      expect((await sandbox.files.rename('/home/user/meta/doc.txt', '/home/user/meta/kept.txt')).metadata).toEqual({ author: 'ada', purpose: 'offline' });
      await new Promise<void>((resolve) => {
        seen = () => void (entries.some((e) => e.name === 'kept.txt' && e.metadata?.author === 'ada') && resolve());
        seen();
      });
      await handle.stop();
      await sandbox.files.write('/home/user/meta/kept.txt', 'plain again');
      expect((await sandbox.files.getInfo('/home/user/meta/kept.txt')).metadata).toBeUndefined();
      // The SDK checks keys and values itself, before any request.
      await expect(sandbox.files.write('/home/user/meta/bad.txt', 'x', { metadata: { note: 'tab\there' } })).rejects.toBeInstanceOf(sdk.InvalidArgumentError);
    });

    it('pause and resume: isRunning is false while paused, Sandbox.connect resumes it, and a background command goes on where it was', async () => {
      const sandbox = await create();
      const waiting = await sandbox.commands.run('read line; echo "got $line"', { background: true, stdin: true });
      expect(await sandbox.pause()).toBe(true);
      expect(await sandbox.pause()).toBe(false);
      expect(await sandbox.isRunning()).toBe(false);
      expect((await sdk.Sandbox.getInfo(sandbox.sandboxId, opts)).state).toBe('paused');
      const resumed = await sdk.Sandbox.connect(sandbox.sandboxId, opts);
      expect(await resumed.isRunning()).toBe(true);
      await resumed.commands.sendStdin(waiting.pid, 'after\n');
      expect((await waiting.wait()).stdout).toBe('got after\n');
    });

    it('sudo, as code written for E2B uses it: the command runs, unprivileged, with no password asked', async () => {
      const sandbox = await create();
      expect((await sandbox.commands.run('sudo -E -u root echo "via $(command -v sudo)"')).stdout).toBe('via sudo\n');
      expect((await sandbox.commands.run('sudo -v && sudo -- sh -c "exit 0"')).exitCode).toBe(0);
      // What needed root fails as the user's, with the command's own exit.
      await expect(sandbox.commands.run('sudo sh -c "exit 7"')).rejects.toMatchObject({ exitCode: 7 });
    });

    it('getMetrics: what the sandbox\'s processes and files use, measured on the host', async () => {
      const sandbox = await create();
      await sandbox.files.write('/home/user/big.bin', new Uint8Array(2 * 1024 * 1024).fill(1).buffer);
      let ready = () => {};
      const up = new Promise<void>((resolve) => (ready = resolve));
      // 64 MiB written to, so resident; the process then idles until the sandbox ends.
      await sandbox.commands.run(`node -e "const b = Buffer.alloc(64 * 1024 * 1024, 1); console.log('ready'); setInterval(() => b[0]++, 1000)"`, {
        background: true,
        onStdout: (data) => void (data.includes('ready') && ready()),
      });
      await up;
      const metric = (await sandbox.getMetrics()).at(-1)!;
      expect(metric.memUsed).toBeGreaterThan(64 * 1024 * 1024);
      expect(metric.memTotal).toBe(totalmem());
      expect(metric.diskUsed).toBeGreaterThanOrEqual(2 * 1024 * 1024);
      expect(metric.diskTotal).toBeGreaterThan(metric.diskUsed);
      expect(metric.cpuCount).toBe(availableParallelism());
      expect(metric.cpuUsedPct).toBeGreaterThanOrEqual(0);
      expect(metric.cpuUsedPct).toBeLessThanOrEqual(100);
      expect(await sandbox.getMetrics({ start: new Date(0), end: new Date(1000) })).toEqual([]);
    });

    it('pty: a shell on a terminal of the asked size, fed input and resized, its output the terminal\'s; kill ends it', async () => {
      const sandbox = await create();
      let output = '';
      const decoder = new TextDecoder();
      let seen = () => {};
      const until = (text: string) =>
        new Promise<void>((resolve) => {
          seen = () => void (output.includes(text) && resolve());
          seen();
        });
      const terminal = await sandbox.pty.create({ cols: 80, rows: 24, envs: { ABC: '123' }, onData: (data) => void ((output += decoder.decode(data)), seen()) });
      const send = (text: string) => sandbox.pty.sendInput(terminal.pid, new TextEncoder().encode(text));
      await send('echo "[$ABC $(tty | cut -c1-9) $(stty size)]"\n');
      await until('[123 /dev/pts/ 24 80]');
      await sandbox.pty.resize(terminal.pid, { cols: 100, rows: 30 });
      await send('echo "[$(tput cols)x$(tput lines)]"\n');
      await until('[100x30]');
      // A terminal takes input as pty bytes only: stdin is envd's error.
      await expect(sandbox.commands.sendStdin(terminal.pid, 'x')).rejects.toThrow(/tty assigned to process/);
      expect(await sandbox.pty.kill(terminal.pid)).toBe(true);
      await expect(terminal.wait()).rejects.toMatchObject({ exitCode: -1 });
      expect(await sandbox.pty.kill(terminal.pid)).toBe(false);
      // A shell that exits by itself ends with its own status.
      const second = await sandbox.pty.create({ cols: 80, rows: 24, onData: () => {} });
      await sandbox.pty.sendInput(second.pid, new TextEncoder().encode('exit 3\n'));
      await expect(second.wait()).rejects.toMatchObject({ exitCode: 3 });
    });

    it('lifecycle onTimeout pause: the timeout pauses the sandbox instead of killing it; autoResume lets the next command resume it, else connect does', async () => {
      for (const autoResume of [true, false]) {
        const sandbox = await sdk.Sandbox.create({ ...opts, timeoutMs: 60_000, lifecycle: { onTimeout: 'pause', autoResume } });
        made.push(sandbox);
        expect((await sandbox.getInfo()).lifecycle).toEqual({ onTimeout: 'pause', autoResume });
        await sandbox.files.write('kept.txt', 'kept');
        // Only now the short life, so that nothing above can meet the pause.
        await sandbox.setTimeout(1_000);
        // A paused state has no event of its own to wait on.
        await waitUntil('the timeout to pause the sandbox', async () => (await sandbox.getInfo()).state === 'paused');
        if (autoResume) {
          // envd traffic resumes it, as E2B's proxy does: the command itself is the proof.
          expect((await sandbox.commands.run('cat kept.txt')).stdout).toBe('kept');
        } else {
          // Paused, it is no machine the proxy reaches: the SDK's own word for that.
          await expect(sandbox.commands.run('cat kept.txt')).rejects.toBeInstanceOf(sdk.SandboxNotFoundError);
          const resumed = await sdk.Sandbox.connect(sandbox.sandboxId, { ...opts, timeoutMs: 60_000 });
          expect((await resumed.commands.run('cat kept.txt')).stdout).toBe('kept');
        }
      }
    });

    it('a request without the API key the emulator was given is refused with E2B’s 401', async () => {
      await expect(sdk.Sandbox.create({ ...opts, apiKey: 'e2b_wrong' })).rejects.toBeInstanceOf(sdk.AuthenticationError);
    });

    // Through msw only: over HTTP the SDK is given the emulator's URLs, and sees no other host.
    // Over HTTP the SDK's getHost is a host on E2B's domain, which only msw can answer for.
    if (transport === mswTransport) it('getHost(port): a server a command started in the sandbox answers there, and E2B\'s proxy 502s once it or the sandbox is gone', async () => {
      const sandbox = await create();
      const port = await freePort();
      let listening = () => {};
      const up = new Promise<void>((resolve) => (listening = resolve));
      const server = await sandbox.commands.run(`node -e "require('http').createServer((q, s) => s.end(q.method + ' ' + q.url)).listen(${port}, '127.0.0.1', () => console.log('listening'))"`, {
        background: true,
        onStdout: (data) => void (data.includes('listening') && listening()),
      });
      await up;
      const url = `https://${sandbox.getHost(port)}`;
      expect(url).toBe(`https://${port}-${sandbox.sandboxId}.e2b.app`);
      expect(await (await fetch(`${url}/hello?x=1`)).text()).toBe('GET /hello?x=1');
      expect(await (await fetch(`${url}/posted`, { method: 'POST', body: 'data' })).text()).toBe('POST /posted');
      await server.kill();
      // Its end event: the process is gone, and with it the socket.
      await server.wait().catch(() => undefined);
      const closed = await fetch(url);
      expect([closed.status, await closed.json()]).toEqual([502, { sandboxId: sandbox.sandboxId, message: 'The sandbox is running but port is not open', port, code: 502 }]);
      await sandbox.kill();
      const gone = await fetch(url);
      expect([gone.status, await gone.json()]).toEqual([502, { sandboxId: sandbox.sandboxId, message: 'The sandbox was not found', code: 502 }]);
    });

    if (transport === mswTransport) it('given only its key, the SDK called E2B’s real hosts and msw answered every call there', async () => {
      // This test's calls only: others fetch a sandbox's own host (downloadUrl), as a browser would.
      running.seen.length = 0;
      const sandbox = await create();
      await sandbox.commands.run('true');
      const hosts = new Set(running.seen.map((url) => new URL(url).host));
      expect([...hosts].sort()).toEqual([...running.hosts!].sort());
    });
  });
}
