// Shutdown and faults: nothing the emulator started outlives it, a process that ignores SIGTERM
// is killed once the grace is over, a client that drops a stream takes its follower with it,
// and a flood of processes beyond the limit gets each provider's own error, not a crash.

import { execFileSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { waitUntil } from '../../contracts/kit/wait-until.ts';
import { ManagedProcess } from '../core/managed-process.ts';
import { createEmulator, type Emulator, type EmulatorOptions } from '../index.ts';
import { startCli as startCliProcess } from '../test-support/cli-process.ts';
import { alive, descendants } from '../test-support/process-alive.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));

// ---------------------------------------------------------------------------------------------
// Processes, as the kernel sees them.


function commandLine(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ').trim();
  } catch {
    return '';
  }
}

/** Every process any emulator of this file starts, as ManagedProcess.start hands it back. */
const started: ManagedProcess[] = [];
beforeAll(() => {
  const original = ManagedProcess.start.bind(ManagedProcess);
  vi.spyOn(ManagedProcess, 'start').mockImplementation(async (...args: Parameters<typeof ManagedProcess.start>) => {
    const proc = await original(...args);
    started.push(proc);
    return proc;
  });
});
afterAll(() => vi.restoreAllMocks());

function startedWith(marker: string): ManagedProcess {
  const proc = [...started].reverse().find((p) => p.spec.argv.join(' ').includes(marker));
  if (!proc) throw new Error(`no process started with '${marker}'`);
  return proc;
}

// ---------------------------------------------------------------------------------------------
// HTTP helpers: read a stream until some text shows up, keep reading, or let go.

interface OpenStream {
  status: number;
  /** Resolves once `text` has arrived (everything read so far is searched). */
  until(text: string): Promise<void>;
  /** Resolves when the server ends the stream (or the connection goes). */
  ended: Promise<void>;
  /** Drops the stream, as a client that goes away does. */
  drop(): void;
}

async function openStream(url: string, init: RequestInit = {}): Promise<OpenStream> {
  const controller = new AbortController();
  const response = await fetch(url, { ...init, signal: controller.signal });
  let text = '';
  const waiting: Array<{ text: string; resolve: () => void }> = [];
  const decoder = new TextDecoder();
  const ended = (async () => {
    try {
      for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
        text += decoder.decode(chunk, { stream: true });
        for (const w of waiting.filter((w) => text.includes(w.text))) {
          waiting.splice(waiting.indexOf(w), 1);
          w.resolve();
        }
      }
    } catch {
      // Dropped by us, or cut by the server going away.
    }
  })();
  return {
    status: response.status,
    until: (wanted) =>
      new Promise<void>((resolve, reject) => {
        if (text.includes(wanted)) return resolve();
        waiting.push({ text: wanted, resolve });
        void ended.then(() => reject(new Error(`the stream ended before '${wanted}': ${text.slice(-300)}`)));
      }),
    ended,
    drop: () => controller.abort(),
  };
}

async function postJson(url: string, body: unknown, headers: Record<string, string> = {}): Promise<{ status: number; body: any }> {
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
  const text = await response.text();
  try {
    return { status: response.status, body: JSON.parse(text) };
  } catch {
    return { status: response.status, body: text };
  }
}

// ---------------------------------------------------------------------------------------------

describe('the CLI killed while processes run', () => {
  const children: ChildProcess[] = [];
  const leftovers: number[] = [];
  let fifoDir: string;

  beforeAll(() => {
    fifoDir = mkdtempSync(join(tmpdir(), 'shutdown-test-'));
  });

  afterEach(() => {
    // A failed test must leave nothing behind: the CLI's group, and any process it started.
    for (const child of children.splice(0)) {
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        // Already gone.
      }
    }
    for (const pid of leftovers.splice(0)) {
      try {
        process.kill(-pid, 'SIGKILL');
      } catch {
        // Already gone.
      }
    }
  });

  afterAll(() => rmSync(fifoDir, { recursive: true, force: true }));

  function startCli(): { child: ChildProcess; origin: Promise<string> } {
    // Detached, so that the clean-up above reaches everything if the test fails.
    const started = startCliProcess([], { detached: true });
    children.push(started.child);
    return started;
  }

  /** The temp roots of the CLI with this pid (named after it, see core/temp-root.ts). */
  const rootsOf = (pid: number) => readdirSync(tmpdir()).filter((name) => name.startsWith(`sandbox-emulator-root-${pid}-`));

  // SIGHUP is a closed terminal or ssh session, SIGQUIT a Ctrl-\: they clean up as SIGTERM does.
  it.each(['SIGTERM', 'SIGINT', 'SIGHUP', 'SIGQUIT'] as const)('%s ends every process of every provider: processes, streams, AgentBox containers and a running exec', async (signal) => {
    const { child, origin: listening } = startCli();
    const origin = await listening;
    const tag = `${signal.toLowerCase()}-${Date.now()}`;

    // Blaxel: a process with children of its own, and one followed through an exec stream.
    const tree = await postJson(`${origin}/blaxel/sandboxes/a/process`, { command: 'sleep 301 & sleep 302 & wait', name: 'tree' });
    expect(tree.status).toBe(200);
    const execStream = await openStream(`${origin}/blaxel/sandboxes/a/process`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'text/event-stream' },
      body: JSON.stringify({ command: 'echo go; exec sleep 303' }),
    });
    await execStream.until('go');

    // Tensorlake: a started process, and one run through a stream.
    const tl = await postJson(`${origin}/tensorlake/sandboxes/sbx-${tag}/api/v1/processes`, { command: 'sleep', args: ['304'] });
    expect(tl.status).toBe(201);
    const run = await openStream(`${origin}/tensorlake/sandboxes/sbx-${tag}/api/v1/processes/run`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ command: 'sh', args: ['-c', 'echo go; exec sleep 305'] }),
    });
    await run.until('go');

    // AgentBox: a sandbox (its container idles forever) and an exec still running in it. The
    // exec says it has started through a FIFO: reading it waits for that, no guessing.
    const box = await postJson(`${origin}/agentbox/v1/sandboxes`, { poolName: 'default' });
    expect(box.status).toBe(201);
    const fifo = join(fifoDir, `${tag}.fifo`);
    execFileSync('mkfifo', [fifo]);
    const exec = postJson(`${origin}/agentbox/v1/sandboxes/${box.body.sandbox.sandboxId}/exec`, { command: `printf started > ${fifo}; exec sleep 306`, timeoutSeconds: 300 });
    const execSettled = exec.then(
      () => 'answered',
      () => 'cut',
    );
    expect(await readFile(fifo, 'utf8')).toBe('started');

    // The FIFO says the exec's shell has started, not that its `exec sleep 306` is done: a process
    // in the middle of execve shows no command line yet. So the list is read until all are there.
    const markers = ['sleep 301', 'sleep 302', 'sleep 303', 'sleep 304', 'sleep 305', 'sleep 306', 'sleep 2147483647'];
    let before: number[] = [];
    let lines: string[] = [];
    await waitUntil(`every process to run before the ${signal}`, async () => {
      before = descendants(child.pid!);
      lines = before.map(commandLine);
      return markers.every((marker) => lines.some((l) => l.includes(marker)));
    }).catch(() => undefined);
    leftovers.push(...before);
    for (const marker of markers) {
      expect(lines.some((l) => l.includes(marker)), `${marker} runs before the ${signal}: ${lines.join(' | ')}`).toBe(true);
    }
    expect(before).toContain(Number(tree.body.pid));
    expect(before).toContain(tl.body.pid);

    expect(rootsOf(child.pid!)).toHaveLength(1);

    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    child.kill(signal);
    expect(await exited).toBe(0);
    expect(rootsOf(child.pid!)).toEqual([]);
    expect(before.filter(alive).map((pid) => `${pid} ${commandLine(pid)}`)).toEqual([]);
    // Clients connected at the time are let go, not left hanging.
    await Promise.all([execStream.ended, run.ended]);
    expect(['answered', 'cut']).toContain(await execSettled);
  });
});

describe('a process that ignores SIGTERM', () => {
  let emulator: Emulator;
  const STUBBORN = "trap '' TERM; echo ready; exec sleep 307";

  beforeAll(async () => {
    emulator = await createEmulator({
      port: 0,
      providers: ['blaxel', 'agentbox'],
      stopGraceMs: 300,
      pools: [{ name: 'stubborn', containers: [{ name: 'sandbox', command: STUBBORN }] }],
    });
    await emulator.listen();
  });
  afterAll(() => emulator?.close());

  it('is SIGKILLed after stopGraceMs when Blaxel stops it', async () => {
    const base = emulator.urls.blaxel.sandbox('stubborn');
    expect((await postJson(`${base}/process`, { command: STUBBORN, name: 'stubborn' })).status).toBe(200);
    const proc = startedWith('sleep 307');
    // The log stream shows `ready` once the trap is set, and ends when the process does.
    const logs = await openStream(`${base}/process/stubborn/logs/stream`);
    await logs.until('stdout:ready');

    const stoppedAt = Date.now();
    const stop = await fetch(`${base}/process/stubborn`, { method: 'DELETE' });
    expect(stop.status).toBe(200);
    await logs.ended;
    const exit = await proc.done;
    expect(exit.signal).toBe('SIGKILL');
    // It outlived the SIGTERM: only the escalation ended it.
    expect(Date.now() - stoppedAt).toBeGreaterThanOrEqual(250);
    expect(alive(proc.pid)).toBe(false);
    const after = (await (await fetch(`${base}/process/stubborn`)).json()) as { status: string };
    expect(after.status).toBe('stopped');
  });

  it('is SIGKILLed after stopGraceMs when an AgentBox sandbox is released', async () => {
    const endpoint = emulator.urls.agentbox.endpoint;
    const created = await postJson(`${endpoint}/v1/sandboxes`, { poolName: 'stubborn' });
    expect(created.status).toBe(201);
    const id = created.body.sandbox.sandboxId as string;
    const container = startedWith('sleep 307');
    const logs = await openStream(`${endpoint}/v1/sandboxes/${id}/logs/stream`);
    await logs.until('"log":"ready"');

    const releasedAt = Date.now();
    const release = await fetch(`${endpoint}/v1/sandboxes/${id}`, { method: 'DELETE' });
    expect(release.status).toBe(202);
    expect(((await release.json()) as { status: string }).status).toBe('Stopping');
    await logs.ended;
    expect((await container.done).signal).toBe('SIGKILL');
    expect(Date.now() - releasedAt).toBeGreaterThanOrEqual(250);
    expect(alive(container.pid)).toBe(false);
  });
});

describe('a client that drops a stream', () => {
  let emulator: Emulator;

  beforeAll(async () => {
    emulator = await createEmulator({ port: 0 });
    await emulator.listen();
  });
  afterAll(() => emulator?.close());

  /** One kind of stream, and how to open it on a process that runs `sleep <marker>`. */
  interface StreamCase {
    name: string;
    /** Starts the process (or lets the stream request start it) and opens the stream. */
    open(marker: string, quiet: boolean): Promise<OpenStream>;
    /** What the stream shows once the process has written `ready`. */
    ready: string;
  }

  const shell = (marker: string, quiet: boolean) => (quiet ? `exec sleep ${marker}` : `echo ready; exec sleep ${marker}`);

  /**
   * An AgentBox container is the process here, and containers come from pools, which are fixed
   * when an emulator starts: each case gets an emulator of its own whose pool runs its marker.
   */
  const others: Emulator[] = [];
  afterAll(() => Promise.all(others.map((e) => e.close())));
  async function openAgentBox(marker: string, quiet: boolean): Promise<OpenStream> {
    const pool = `pool-${marker}`;
    const own = await createEmulator({ port: 0, providers: ['agentbox'], pools: [{ name: pool, containers: [{ name: 'sandbox', command: shell(marker, quiet) }] }] });
    others.push(own);
    await own.listen();
    const created = await postJson(`${own.urls.agentbox.endpoint}/v1/sandboxes`, { poolName: pool });
    expect(created.status).toBe(201);
    return openStream(`${own.urls.agentbox.endpoint}/v1/sandboxes/${created.body.sandbox.sandboxId}/logs/stream`);
  }

  const cases: StreamCase[] = [
    {
      name: 'Tensorlake output/follow',
      ready: '"line":"ready"',
      async open(marker, quiet) {
        const sandbox = emulator.urls.tensorlake.sandbox('follow');
        const name = `p${marker}`;
        expect((await postJson(`${sandbox}/api/v1/processes`, { command: 'sh', args: ['-c', shell(marker, quiet)], name })).status).toBe(201);
        return openStream(`${sandbox}/api/v1/processes/${name}/output/follow`);
      },
    },
    {
      name: 'Tensorlake run',
      ready: '"line":"ready"',
      open: (marker, quiet) =>
        openStream(`${emulator.urls.tensorlake.sandbox('run')}/api/v1/processes/run`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ command: 'sh', args: ['-c', shell(marker, quiet)] }),
        }),
    },
    {
      name: 'Blaxel logs/stream',
      ready: 'stdout:ready',
      async open(marker, quiet) {
        const base = emulator.urls.blaxel.sandbox('logs');
        const name = `p${marker}`;
        expect((await postJson(`${base}/process`, { command: shell(marker, quiet), name })).status).toBe(200);
        return openStream(`${base}/process/${name}/logs/stream`);
      },
    },
    {
      name: 'Blaxel exec stream',
      ready: '"data":"ready',
      open: (marker, quiet) =>
        openStream(`${emulator.urls.blaxel.sandbox('exec')}/process`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', accept: 'text/event-stream' },
          body: JSON.stringify({ command: shell(marker, quiet) }),
        }),
    },
    {
      name: 'AgentBox logs/stream',
      ready: '"log":"ready"',
      open: (marker, quiet) => openAgentBox(marker, quiet),
    },
  ];

  let counter = 400;
  it.each(cases.flatMap((c) => [[c.name, 'after its first line', c, false] as const, [c.name, 'before any output', c, true] as const]))(
    '%s, dropped %s, gives its follower back and leaves the process running',
    async (_name, _when, streamCase, quiet) => {
      const marker = String(counter++);
      const stream = await streamCase.open(marker, quiet);
      expect(stream.status).toBe(200);
      const proc = startedWith(`sleep ${marker}`);
      // A quiet process shows nothing to wait for: the follower's own count says it is there.
      if (quiet) await waitUntil('the follower to start', async () => proc.output.followers === 1, 5_000, 10);
      else await stream.until(streamCase.ready);
      expect(proc.output.followers).toBe(1);

      stream.drop();
      await stream.ended;
      await waitUntil('the follower to be released', async () => proc.output.followers === 0, 5_000, 10);
      // Going away does not end the process: it is still there to be read or followed again.
      expect(proc.running).toBe(true);
      proc.kill();
      await proc.done;
    },
  );

});

describe('a flood of processes beyond maxProcesses', () => {
  let emulator: Emulator;
  const LIMIT = 5;

  beforeAll(async () => {
    const options: EmulatorOptions = {
      port: 0,
      maxProcesses: LIMIT,
      stopGraceMs: 300,
      pools: [
        { name: 'full', containers: Array.from({ length: LIMIT }, (_, i) => ({ name: i === 0 ? 'sandbox' : `side-${i}`, command: 'exec sleep 308' })) },
        { name: 'too-big', containers: Array.from({ length: LIMIT + 1 }, (_, i) => ({ name: i === 0 ? 'sandbox' : `side-${i}`, command: 'exec sleep 309' })) },
      ],
    };
    emulator = await createEmulator(options);
    await emulator.listen();
  });
  afterAll(() => emulator?.close());

  /** The answer must be declared for the operation and validate: the emulator's own validator says. */
  function declared(mountId: string, operationId: string, status: number, body: unknown): void {
    const validator = emulator.app.mount(mountId)!.validator;
    expect(validator.validate(operationId, status, 'application/json', body, true)).toEqual([]);
    expect(emulator.app.violations).toEqual([]);
  }

  it('Blaxel answers its declared 422 {error}, and starts again once a process has ended', async () => {
    const base = emulator.urls.blaxel.sandbox('flood');
    // Three times the limit at once: exactly the limit starts, every other one is refused.
    const flood = await Promise.all(Array.from({ length: 3 * LIMIT }, (_, i) => postJson(`${base}/process`, { command: 'exec sleep 310', name: `p${i}` })));
    expect(flood.filter((a) => a.status === 200)).toHaveLength(LIMIT);
    for (const refused of flood.filter((a) => a.status !== 200)) declared('blaxel-sandbox', 'startProcess', refused.status, refused.body);
    const first = flood.findIndex((a) => a.status === 200);
    for (const accept of ['application/json', 'text/event-stream']) {
      const refused = await postJson(`${base}/process`, { command: 'true' }, { accept });
      expect(refused.status).toBe(422);
      expect(refused.body.error).toMatch(/failed to start process: .*5 processes are already running/);
      declared('blaxel-sandbox', 'startProcess', refused.status, refused.body);
    }
    // Another sandbox has its own limit.
    expect((await postJson(`${emulator.urls.blaxel.sandbox('other')}/process`, { command: 'true' })).status).toBe(200);
    // Usable again once one has ended.
    expect((await fetch(`${base}/process/p${first}/kill`, { method: 'DELETE' })).status).toBe(200);
    await waitUntil('the killed process to end', async () => ((await (await fetch(`${base}/process/p${first}`)).json()) as { status: string }).status !== 'running');
    expect((await postJson(`${base}/process`, { command: 'echo again', waitForCompletion: true })).status).toBe(200);
  });

  it('Tensorlake answers its declared 500 {error, code: TOO_MANY_PROCESSES} for start and run', async () => {
    const sandbox = emulator.urls.tensorlake.sandbox('flood');
    const flood = await Promise.all(Array.from({ length: 3 * LIMIT }, () => postJson(`${sandbox}/api/v1/processes`, { command: 'sleep', args: ['311'] })));
    const pids = flood.filter((a) => a.status === 201).map((a) => a.body.pid as number);
    expect(pids).toHaveLength(LIMIT);
    for (const refused of flood.filter((a) => a.status !== 201)) declared('tensorlake-runtime', 'sandbox_process_start', refused.status, refused.body);
    for (const path of ['/api/v1/processes', '/api/v1/processes/run']) {
      const refused = await postJson(`${sandbox}${path}`, { command: 'true' });
      expect(refused.status).toBe(500);
      expect(refused.body).toMatchObject({ code: 'TOO_MANY_PROCESSES', error: expect.stringMatching(/5 processes are already running/) });
      declared('tensorlake-runtime', path.endsWith('run') ? 'sandbox_process_run' : 'sandbox_process_start', refused.status, refused.body);
    }
    expect((await fetch(`${sandbox}/api/v1/processes/${pids[0]}`, { method: 'DELETE' })).status).toBe(204);
    await waitUntil('the killed process to end', async () => ((await (await fetch(`${sandbox}/api/v1/processes/${pids[0]}`)).json()) as { status: string }).status !== 'running');
    expect((await postJson(`${sandbox}/api/v1/processes`, { command: 'true' })).status).toBe(201);
  });

  it('AgentBox answers its declared 500 {error} for an exec in a full sandbox and for a pool larger than the limit', async () => {
    const endpoint = emulator.urls.agentbox.endpoint;
    const full = await postJson(`${endpoint}/v1/sandboxes`, { poolName: 'full' });
    expect(full.status).toBe(201);
    const refused = await postJson(`${endpoint}/v1/sandboxes/${full.body.sandbox.sandboxId}/exec`, { command: 'true' });
    expect(refused.status).toBe(500);
    expect(refused.body.error).toMatch(/^exec failed: .*5 processes are already running/);
    declared('agentbox', 'ExecSandboxCommand', refused.status, refused.body);

    const tooBig = await postJson(`${endpoint}/v1/sandboxes`, { poolName: 'too-big' });
    expect(tooBig.status).toBe(500);
    expect(tooBig.body.error).toMatch(/container start failed: .*5 processes are already running/);
    declared('agentbox', 'CreateSandbox', tooBig.status, tooBig.body);
    // The failed claim left nothing running: every container it had started is gone.
    for (const proc of started.filter((p) => p.spec.argv.join(' ').includes('sleep 309'))) await proc.done;

    // Still usable: a sandbox of the default pool, and an exec in it.
    const fresh = await postJson(`${endpoint}/v1/sandboxes`, { poolName: 'default' });
    expect(fresh.status).toBe(201);
    const exec = await postJson(`${endpoint}/v1/sandboxes/${fresh.body.sandbox.sandboxId}/exec`, { command: 'echo fine' });
    expect(exec.body).toMatchObject({ exitCode: 0, stdout: 'fine\n' });
  });
});
