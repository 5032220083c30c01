// AgentBox has no published TypeScript SDK (api.md, "SDKs and clients"): its users call the
// native REST API with curl, httpx or fetch. So this suite runs the documented calls, with only
// the host changed, in two ways:
//   - with the REAL curl binary against the emulator over HTTP (AGENTBOX_ENDPOINT =
//     urls.agentbox.endpoint), exactly as a shell script would: curl -X POST
//     "$AGENTBOX_ENDPOINT/v1/sandboxes" -H "AGENTBOX-API-KEY: $AGENTBOX_API_KEY" -H
//     'Content-Type: application/json' -d '{"poolName":"python-3-12"}';
//   - with fetch, in-process, through msw (setupEmulator with agentboxEndpoint), which is what a
//     TypeScript user's own client would do in a unit test.
// The calls are those of api.md and the examples in specs/agentbox.yaml: ping, create from a
// pool, get, list, exec, logs (lines, container), the NDJSON log stream, delete. The emulator
// is given a key (tokens.agentbox), so the header matters: without it every /v1 call is a 401.
// Every wait is on an event (a streamed log line, the end of a stream), never a sleep.

import { execFile, spawn } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import { createInterface } from 'node:readline';
import { Readable } from 'node:stream';
import { promisify } from 'node:util';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { EmulatorApp } from '../../emulator/app.ts';
import type { AgentBoxPool } from '../../emulator/index.ts';
import { createEmulator } from '../../emulator/index.ts';
import { setupEmulator } from '../../emulator/transports/msw/setup-emulator.ts';

const API_KEY = 'agbx_test';

const POOLS: AgentBoxPool[] = [
  {
    // The pool of the spec's examples. Its own container logs two lines, then waits on a fifo
    // until a test writes to it through exec (so the test decides when it ends, without
    // sleeping), then logs one more line; beside it a sidecar with a log of its own.
    name: 'python-3-12',
    containers: [
      { name: 'sandbox', command: 'mkfifo gate; echo booting envd; echo envd listening on :49983; cat gate >/dev/null; echo shutting down' },
      { name: 'egress-proxy', command: 'echo proxy up; exec sleep 1000' },
    ],
  },
  // One container that logs a line and then runs until it is released.
  { name: 'worker', containers: [{ name: 'sandbox', command: 'echo worker ready; exec sleep 1000' }] },
];

/** The one key the emulator accepts; the tests also call with none (null) and a wrong one. */
interface CallOptions {
  body?: unknown;
  key?: string | null;
}

interface Reply {
  status: number;
  body: any;
}

/** An NDJSON response read line by line, as the lines arrive. */
interface LineStream {
  /** The next line, parsed; null once the response has ended. Fails after 10 s without one. */
  next(): Promise<any | null>;
  /** Stops reading (the client goes away). */
  close(): void;
}

/** One way of making the documented calls: curl over HTTP, or fetch through msw. */
interface AgentBoxCaller {
  call(method: string, path: string, options?: CallOptions): Promise<Reply>;
  stream(path: string, options?: CallOptions): Promise<LineStream>;
}

interface Target {
  caller: AgentBoxCaller;
  app: EmulatorApp;
  /** Between tests, after the checks (msw: ends every process, forgets every sandbox). */
  reset?(): Promise<void>;
}

/** Reads `input` line by line; `finished` settles once the source has ended (or failed). */
function lineStream(input: NodeJS.ReadableStream, close: () => void, finished: () => Promise<void> = async () => {}): LineStream {
  const lines = createInterface({ input, crlfDelay: Infinity })[Symbol.asyncIterator]();
  return {
    async next() {
      let timer: NodeJS.Timeout | undefined;
      const deadline = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error('Failed to read the log stream: no NDJSON line within 10 s.')), 10_000);
      });
      try {
        const next = await Promise.race([lines.next(), deadline]);
        if (!next.done) return JSON.parse(next.value);
        await finished();
        return null;
      } finally {
        clearTimeout(timer);
      }
    },
    close,
  };
}

// ---- curl ---------------------------------------------------------------------------------

/** The curl binary on PATH, if there is one (what `which curl` finds). */
function findOnPath(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    try {
      accessSync(join(dir, name), constants.X_OK);
      return join(dir, name);
    } catch {
      // not in this directory
    }
  }
  return undefined;
}

const CURL = findOnPath('curl');

// A proxy from the environment would carry curl's 127.0.0.1 calls away from the emulator.
const CURL_ENV = Object.fromEntries(Object.entries(process.env).filter(([name]) => !/^(https?|all|no)_proxy$/i.test(name)));

/** The documented call's arguments: only the host is the emulator's. */
function curlArgs(endpoint: string, method: string, path: string, { body, key = API_KEY }: CallOptions): string[] {
  // `-q` first: no ~/.curlrc may add options of its own (harness, not part of the call).
  const args = ['-q', '-sS'];
  if (method !== 'GET') args.push('-X', method);
  args.push(endpoint + path);
  if (key !== null) args.push('-H', `AGENTBOX-API-KEY: ${key}`);
  if (body !== undefined) args.push('-H', 'Content-Type: application/json', '-d', JSON.stringify(body));
  return args;
}

function curlCaller(endpoint: string): AgentBoxCaller {
  const run = promisify(execFile);
  return {
    async call(method, path, options = {}) {
      // `-w`: the status on a line of its own after the body (harness, to assert on it).
      const { stdout } = await run(CURL!, [...curlArgs(endpoint, method, path, options), '-w', '\n%{http_code}'], { env: CURL_ENV });
      const cut = stdout.lastIndexOf('\n');
      return { status: Number(stdout.slice(cut + 1)), body: JSON.parse(stdout.slice(0, cut)) };
    },
    async stream(path, options = {}) {
      // `-N`: no output buffering, so each NDJSON line comes out of curl as it arrives.
      const curl = spawn(CURL!, [...curlArgs(endpoint, 'GET', path, options), '-N'], { env: CURL_ENV, stdio: ['ignore', 'pipe', 'pipe'] });
      let stderr = '';
      curl.stderr.on('data', (chunk) => (stderr += chunk));
      const exited = new Promise<number | null>((resolve) => curl.on('close', (code) => resolve(code)));
      return lineStream(
        curl.stdout,
        () => curl.kill(),
        async () => {
          // The stream ended because the server ended it: curl exits 0.
          const code = await exited;
          if (code !== 0) throw new Error(`Failed to follow the log stream: curl exited with ${code}: ${stderr}`);
        },
      );
    },
  };
}

// ---- fetch (through msw) ------------------------------------------------------------------

function fetchCaller(endpoint: string): AgentBoxCaller {
  const request = (method: string, path: string, { body, key = API_KEY }: CallOptions) => {
    const headers: Record<string, string> = {};
    if (key !== null) headers['AGENTBOX-API-KEY'] = key;
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    return fetch(endpoint + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  };
  return {
    async call(method, path, options = {}) {
      const response = await request(method, path, options);
      return { status: response.status, body: await response.json() };
    },
    async stream(path, options = {}) {
      const response = await request('GET', path, options);
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toContain('application/x-ndjson');
      const body = Readable.fromWeb(response.body! as import('node:stream/web').ReadableStream);
      return lineStream(body, () => body.destroy());
    },
  };
}

// ---- the documented calls, once per way --------------------------------------------------

function describeDocumentedCalls(target: () => Target) {
  const streams: LineStream[] = [];
  const follow = async (path: string, options?: CallOptions) => {
    const stream = await target().caller.stream(path, options);
    streams.push(stream);
    return stream;
  };
  const call = (method: string, path: string, options?: CallOptions) => target().caller.call(method, path, options);
  const create = async (poolName: string, extra: Record<string, unknown> = {}) => {
    const created = await call('POST', '/v1/sandboxes', { body: { poolName, ...extra } });
    expect(created.status).toBe(201);
    return created.body.sandbox as { sandboxId: string; podName: string; [key: string]: unknown };
  };

  afterEach(async () => {
    for (const stream of streams.splice(0)) stream.close();
    // Every answer matched the AgentBox document.
    expect(target().app.violations).toEqual([]);
    await target().reset?.();
  });

  it('ping answers without a key; every /v1 call needs AGENTBOX-API-KEY (401 without it or with a wrong one)', async () => {
    expect(await call('GET', '/ping', { key: null })).toEqual({ status: 200, body: { status: 'ok' } });
    expect(await call('GET', '/v1/sandboxes', { key: null })).toEqual({ status: 401, body: { error: 'missing api key' } });
    expect(await call('POST', '/v1/sandboxes', { key: null, body: { poolName: 'worker' } })).toEqual({ status: 401, body: { error: 'missing api key' } });
    expect(await call('GET', '/v1/sandboxes/0190f3a2-7c41-7b9e-9d2a-4c1e8f5b6a73/logs/stream', { key: null })).toEqual({ status: 401, body: { error: 'missing api key' } });
    expect(await call('GET', '/v1/sandboxes', { key: 'agbx_wrong' })).toEqual({ status: 401, body: { error: 'invalid api key' } });
    expect((await call('GET', '/v1/sandboxes')).status).toBe(200);
  });

  it('creates a sandbox from a pool (the spec example), gets it and lists it', async () => {
    const sandbox = await create('python-3-12', { metadata: { owner: 'ci', run: '4711' }, startupTimeout: '90s', idleTimeout: '15m' });
    expect(sandbox).toMatchObject({
      sandboxId: expect.any(String),
      namespace: 'default',
      poolName: 'python-3-12',
      podName: expect.stringMatching(/^python-3-12-[a-z0-9]{5}$/),
      status: 'Running',
      metadata: { owner: 'ci', run: '4711' },
      idleTimeoutSeconds: 900,
    });

    const got = await call('GET', `/v1/sandboxes/${sandbox.sandboxId}`);
    expect(got.status).toBe(200);
    expect(got.body.sandbox).toMatchObject({ sandboxId: sandbox.sandboxId, podName: sandbox.podName, status: 'Running' });

    const listed = await call('GET', '/v1/sandboxes?poolName=python-3-12&status=Running,Starting&limit=20');
    expect(listed.status).toBe(200);
    expect(listed.body).toMatchObject({ limit: 20, offset: 0 });
    expect(listed.body.items.map((s: { sandboxId: string }) => s.sandboxId)).toContain(sandbox.sandboxId);
    expect((await call('GET', '/v1/sandboxes?poolName=no-such-pool')).body).toMatchObject({ items: [], total: 0 });

    const unknownPool = await call('POST', '/v1/sandboxes', { body: { poolName: 'nodejs-22' } });
    expect(unknownPool.status).toBe(404);
    expect(unknownPool.body).toMatchObject({ error: 'sandbox pool default/nodejs-22 not found', detail: { availablePools: expect.any(Array) } });
  });

  it('exec runs a command and answers its real exit code, stdout and stderr (non-zero is still 200)', async () => {
    const { sandboxId } = await create('worker');
    expect(await call('POST', `/v1/sandboxes/${sandboxId}/exec`, { body: { command: 'echo hi from agentbox' } })).toEqual({
      status: 200,
      body: { exitCode: 0, stdout: 'hi from agentbox\n', stderr: '' },
    });
    // The spec's second example, `python3 -c 'import sys; sys.exit(3)'`, with sh instead of python3.
    expect(await call('POST', `/v1/sandboxes/${sandboxId}/exec`, { body: { command: "echo to stderr >&2; sh -c 'exit 3'", timeoutSeconds: 10 } })).toEqual({
      status: 200,
      body: { exitCode: 3, stdout: '', stderr: 'to stderr\n' },
    });
  });

  it('logs with lines and container; the NDJSON stream follows the log live and ends with the meta line', async () => {
    const { sandboxId, podName } = await create('python-3-12');
    const stream = await follow(`/v1/sandboxes/${sandboxId}/logs/stream`);
    expect(await stream.next()).toMatchObject({ container_name: 'sandbox', log: 'booting envd', pod_name: podName, namespace_name: 'default' });
    expect(await stream.next()).toMatchObject({ container_name: 'sandbox', log: 'envd listening on :49983' });
    // Those lines came while the container still runs (it waits on its gate).
    expect((await call('GET', `/v1/sandboxes/${sandboxId}`)).body.sandbox.status).toBe('Running');

    const last = await call('GET', `/v1/sandboxes/${sandboxId}/logs?lines=1`);
    expect(last.status).toBe(200);
    expect(last.body).toMatchObject({ sandboxId, namespace: 'default', podName, source: 'live', containers: ['sandbox', 'egress-proxy'] });
    expect(last.body.entries).toEqual([expect.objectContaining({ container: 'sandbox', log: 'envd listening on :49983' })]);
    expect((await call('GET', `/v1/sandboxes/${sandboxId}/logs`)).body.entries.map((e: { log: string }) => e.log)).toEqual(['booting envd', 'envd listening on :49983']);

    // The sidecar's log: its first line seen on its own stream, then in a snapshot.
    const sidecar = await follow(`/v1/sandboxes/${sandboxId}/logs/stream?container=egress-proxy`);
    expect(await sidecar.next()).toMatchObject({ container_name: 'egress-proxy', log: 'proxy up' });
    sidecar.close();
    expect((await call('GET', `/v1/sandboxes/${sandboxId}/logs?container=egress-proxy`)).body.entries).toEqual([
      expect.objectContaining({ container: 'egress-proxy', log: 'proxy up' }),
    ]);
    expect(await call('GET', `/v1/sandboxes/${sandboxId}/logs?container=nope`)).toEqual({
      status: 400,
      body: { error: `sandbox default/${sandboxId} has no container "nope"; it has sandbox, egress-proxy` },
    });

    // Open the gate: the container logs its last line and ends; so does the stream.
    expect((await call('POST', `/v1/sandboxes/${sandboxId}/exec`, { body: { command: 'echo go > gate' } })).body.exitCode).toBe(0);
    expect(await stream.next()).toMatchObject({ container_name: 'sandbox', log: 'shutting down' });
    expect(await stream.next()).toEqual({ _meta: true, source: 'live', truncated: false, pod_name: podName });
    expect(await stream.next()).toBeNull();
    expect((await call('GET', `/v1/sandboxes/${sandboxId}`)).body.sandbox).toMatchObject({ status: 'Completed', exitCode: 0 });
  });

  it('delete releases a running sandbox (202); the history still answers it; a second delete is a 404', async () => {
    const { sandboxId, podName } = await create('worker');
    const stream = await follow(`/v1/sandboxes/${sandboxId}/logs/stream`);
    expect(await stream.next()).toMatchObject({ log: 'worker ready' });

    expect(await call('DELETE', `/v1/sandboxes/${sandboxId}`)).toEqual({
      status: 202,
      body: { sandboxId, namespace: 'default', poolName: 'worker', podName, status: 'Stopping' },
    });
    // Released: its container is stopped, so the stream of its log ends.
    expect(await stream.next()).toEqual({ _meta: true, source: 'live', truncated: false, pod_name: podName });
    expect(await stream.next()).toBeNull();

    expect((await call('GET', `/v1/sandboxes/${sandboxId}`)).body.sandbox).toMatchObject({ sandboxId, status: 'Released' });
    expect(await call('DELETE', `/v1/sandboxes/${sandboxId}`)).toEqual({
      status: 404,
      body: { error: `sandbox default/${sandboxId} not found or already terminated` },
    });
  });
}

describe.skipIf(!CURL)(CURL ? 'AgentBox: the documented calls with the real curl, over HTTP' : 'AgentBox with curl (skipped: no curl binary on PATH)', () => {
  let emulator: Awaited<ReturnType<typeof createEmulator>>;
  let caller: AgentBoxCaller;
  beforeAll(async () => {
    emulator = await createEmulator({ port: 0, providers: ['agentbox'], tokens: { agentbox: API_KEY }, pools: POOLS });
    const urls = await emulator.listen();
    caller = curlCaller(urls.agentbox.endpoint);
  });
  afterAll(() => emulator?.close());

  describeDocumentedCalls(() => ({ caller, app: emulator.app }));
});

describe('AgentBox: the same calls with fetch, in-process through msw', () => {
  // Any endpoint the user's code is configured with; msw answers it in this process.
  const endpoint = 'https://agentbox.example.test';
  const emulator = setupEmulator({ providers: ['agentbox'], agentboxEndpoint: endpoint, tokens: { agentbox: API_KEY }, pools: POOLS, onUnhandledRequest: 'error' });
  const caller = fetchCaller(endpoint);
  beforeAll(() => emulator.start());
  afterAll(() => emulator.close());

  describeDocumentedCalls(() => ({ caller, app: emulator.app, reset: () => emulator.reset() }));
});
