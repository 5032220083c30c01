// What the robustness suites need to know per provider, beyond its documents: which values keep
// generated commands harmless, which ids point at things that exist (the fixtures each batch
// starts), and a plain request that must still work after every batch.

import fc from 'fast-check';
import type { ProviderName } from '../providers/provider.ts';
import { HTTP_ROUTES } from '../transports/http/http-routes.ts';
import { Huge, known, oddString, type GeneratorHints } from './request-arbitraries.ts';

/**
 * The only commands a generated request may run: each ends at once, writes a few bytes and
 * touches nothing. Invalid requests get a command of the wrong type, never another string.
 */
export const SAFE_SHELL_COMMANDS = ['true', 'echo x', 'printf x'] as const;
/** Tensorlake runs `command` without a shell, with `args`. */
export const SAFE_PROGRAMS = ['true', 'echo', 'printf'] as const;

/**
 * Timeouts in seconds up to 2^31-1 ms (24.8 days). Longer ones overflow Node's timers, fire at
 * once and print a TimeoutOverflowWarning per request: a finding pinned in known-findings.test.ts,
 * kept out of the fuzz so its output stays readable.
 */
const MAX_TIMER_SECONDS = Math.floor((2 ** 31 - 1) / 1000);
const timeoutSeconds = fc.oneof(fc.integer({ min: -5, max: 30 }), fc.integer({ min: -(2 ** 31), max: MAX_TIMER_SECONDS }));

/** Environment variable names that cannot change how a program starts (no PATH, LD_*, ...). */
const envName = oddString({ maxLength: 12 }).map((s) => `FUZZ_${s instanceof Huge ? 'LONG' : s}`);

/** printf reads its first argument as a format: no `%` or `\`, so it cannot be told to print gigabytes. */
const safeArgument = oddString().filter((s) => typeof s === 'string' && !/[%\\]/.test(s));

/** Numbers that look like pids but name nothing: the lookup must still answer 404, not crash. */
const pidLike = fc.oneof(fc.constantFrom('0', '1', '-1', '+5', '4294967296', '99999999999999999999', '2147483647', '007'), fc.nat().map(String));

/** A working directory: mostly one that exists (so the process starts), often one that does not. */
const workingDir = fc.oneof({ weight: 3, arbitrary: fc.constantFrom('.', '', '/tmp', '~', '..') }, { weight: 2, arbitrary: oddString() });

/** Go durations: mostly well formed, sometimes refused ones. */
const duration = fc.oneof({ weight: 3, arbitrary: fc.constantFrom('90s', '15m', '1h30m', '2h45m30.5s', '500ms') }, { weight: 1, arbitrary: fc.constantFrom('0', '-1s', '1.5', '1d', 's') }, { weight: 1, arbitrary: oddString() });

export interface FixtureClient {
  /** Sends a JSON request to a path below the origin; resolves with status and parsed body. */
  json(method: string, path: string, body?: unknown): Promise<{ status: number; body: any }>;
}

export interface ProviderFuzz {
  name: ProviderName;
  mounts: string[];
  hints: GeneratorHints;
  /**
   * Makes what `known(...)` placeholders point at: a running process that reads its stdin (so
   * writes never block), a finished one, sandboxes. Runs after every reset.
   */
  fixtures(client: FixtureClient): Promise<Record<string, unknown>>;
  /** A plain request that must answer 200 after every batch. */
  ping: { method: string; path: string };
}

/** The transport's prefixes of a mount, e.g. `/blaxel/sandboxes/:sandbox`. */
export function prefixesOf(mountId: string): string[] {
  return HTTP_ROUTES.filter((r) => r.mountId === mountId && !r.ownPath).map((r) => r.prefix);
}

/** Ids for a path parameter: mostly ones that exist, often odd ones. */
function ids(...keys: string[]): fc.Arbitrary<unknown> {
  return fc.oneof({ weight: 5, arbitrary: fc.constantFrom(...keys.map(known)) }, { weight: 3, arbitrary: oddString() }, { weight: 1, arbitrary: pidLike });
}

function expectStatus(what: string, got: { status: number; body: unknown }, status: number): void {
  if (got.status !== status) throw new Error(`Failed to set up the fuzz fixtures: ${what} answered ${got.status} ${JSON.stringify(got.body)}`);
}

/** Reads stdin to its end, then stays up: writes to it never block, and it lives until killed. */
const SLEEPER = 'cat >/dev/null; exec sleep 60';

export const PROVIDERS: ProviderFuzz[] = [
  {
    name: 'blaxel',
    mounts: ['blaxel-sandbox', 'blaxel-control'],
    hints: {
      valid: {
        'vars.sandbox': fc.oneof({ weight: 6, arbitrary: fc.constant(known('sandbox')) }, { weight: 2, arbitrary: oddString() }),
        'vars.workspace': fc.oneof(fc.constant('local'), oddString()),
        'path.identifier': ids('sleeper.name', 'sleeper.pid', 'finished.name', 'finished.pid'),
        'startProcess:body.command': fc.constantFrom(...SAFE_SHELL_COMMANDS),
        'startProcess:body.env{}': envName,
        'startProcess:body.name': fc.oneof(oddString(), fc.constant(known('sleeper.name')), fc.constant('fuzz')),
        'startProcess:body.workingDir': workingDir,
        'startProcess:body.timeout': timeoutSeconds,
        // File paths: mostly ones that exist or can (the sandbox's "/" is its folder), often odd ones.
        'path.path': fc.oneof({ weight: 3, arbitrary: fc.constantFrom('/fuzz.txt', '/fuzz/dir/f.bin', '/', 'fuzz.txt', '/fuzz', '/fuzz/**') }, { weight: 2, arbitrary: oddString() }),
        'path.uploadId': ids('upload.id'),
        'path.sandboxName': ids('sandbox'),
        'createSandbox:body.metadata.name': fc.oneof(fc.constant(known('sandbox')), oddString()),
        'createSandbox:body.spec.runtime.envs[].name': envName,
      },
      typeOnly: ['startProcess:body.command'],
    },
    async fixtures(client) {
      const base = '/blaxel/sandboxes/box/process';
      const sleeper = await client.json('POST', base, { command: SLEEPER, name: 'sleeper', stdin: true });
      expectStatus('the sleeper', sleeper, 200);
      const finished = await client.json('POST', base, { command: 'echo done', name: 'finished', waitForCompletion: true });
      expectStatus('the finished process', finished, 200);
      const upload = await client.json('POST', '/blaxel/sandboxes/box/filesystem-multipart/initiate/%2Ffuzz%2Fupload.bin', {});
      expectStatus('the multipart upload', upload, 200);
      return {
        'upload.id': upload.body.uploadId,
        sandbox: 'box',
        'sleeper.name': 'sleeper',
        'sleeper.pid': sleeper.body.pid,
        'finished.name': 'finished',
        'finished.pid': finished.body.pid,
      };
    },
    ping: { method: 'GET', path: '/blaxel/sandboxes/box/process' },
  },
  {
    name: 'tensorlake',
    mounts: ['tensorlake-runtime', 'tensorlake-lifecycle'],
    hints: {
      valid: {
        'vars.sandbox': fc.oneof({ weight: 6, arbitrary: fc.constant(known('sandbox')) }, { weight: 2, arbitrary: oddString() }),
        'path.pid': ids('sleeper.pid', 'sleeper.name', 'finished.pid', 'finished.name'),
        'body.command': fc.constantFrom(...SAFE_PROGRAMS),
        'body.args[]': safeArgument,
        'body.env{}': envName,
        'body.name': fc.oneof(oddString(), fc.constant(known('sleeper.name')), fc.constant('fuzz')),
        'body.working_dir': workingDir,
        'sandbox_process_run:body.timeout': fc.oneof(fc.double({ min: 0, max: 30, noNaN: true }), fc.double({ min: 0, max: MAX_TIMER_SECONDS, noNaN: true })),
        // Stop signals (SIGSTOP, SIGTSTP, SIGTTIN, SIGTTOU) would freeze the sleeper, and a big stdin
        // write to a frozen reader blocks until the batch ends, as it would on the real daemon.
        'sandbox_process_signal:body.signal': fc.oneof(
          fc.constantFrom(1, 2, 9, 10, 12, 15, 18, 28, 0, -1, 31, 32, 64, 65, 999, 2 ** 31 - 1, -(2 ** 31)),
          fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }).filter((n) => n < 19 || n > 22),
        ),
        // File paths: mostly ones that exist or can (the sandbox's "/" is its folder), often odd ones.
        'query.path': fc.oneof({ weight: 3, arbitrary: fc.constantFrom('/fuzz.txt', '/fuzz/dir/f.bin', '/', 'fuzz.txt', '/fuzz') }, { weight: 2, arbitrary: oddString() }),
        'path.namespace': fc.oneof({ weight: 3, arbitrary: fc.constant('default') }, { weight: 1, arbitrary: oddString() }),
        'path.sandbox_id': ids('created.id', 'created.name', 'sandbox'),
      },
      typeOnly: ['sandbox_process_start:body.command', 'sandbox_process_run:body.command'],
    },
    async fixtures(client) {
      const base = '/tensorlake/sandboxes/sbx-fuzz/api/v1/processes';
      const sleeper = await client.json('POST', base, { command: 'sh', args: ['-c', SLEEPER], name: 'sleeper', stdin_mode: 'pipe' });
      expectStatus('the sleeper', sleeper, 201);
      const finished = await client.json('POST', base, { command: 'echo', args: ['done'], name: 'finished' });
      expectStatus('the finished process', finished, 201);
      const created = await client.json('POST', '/tensorlake/v1/namespaces/default/sandboxes', { name: 'fuzz-box' });
      expectStatus('the lifecycle create', created, 200);
      return {
        sandbox: 'sbx-fuzz',
        'sleeper.pid': sleeper.body.pid,
        'sleeper.name': 'sleeper',
        'finished.pid': finished.body.pid,
        'finished.name': 'finished',
        'created.id': created.body.sandbox_id ?? created.body.id,
        'created.name': 'fuzz-box',
      };
    },
    ping: { method: 'GET', path: '/tensorlake/sandboxes/sbx-fuzz/api/v1/processes' },
  },
  {
    name: 'agentbox',
    mounts: ['agentbox'],
    hints: {
      valid: {
        'path.sandboxId': ids('live.id', 'live.id', 'released.id'),
        'CreateSandbox:body.poolName': fc.oneof({ weight: 4, arbitrary: fc.constant('default') }, { weight: 1, arbitrary: oddString() }),
        'CreateSandbox:body.startupTimeout': duration,
        'CreateSandbox:body.idleTimeout': duration,
        'ExecSandboxCommand:body.command': fc.constantFrom(...SAFE_SHELL_COMMANDS),
        'query.container': fc.oneof(fc.constant('sandbox'), oddString()),
        // Absent, empty or `stdout` reads the containers; any other value names a runtime (a 400 here).
        'query.source': fc.oneof({ weight: 3, arbitrary: fc.constantFrom('stdout', '') }, { weight: 1, arbitrary: fc.constantFrom('runtime', 'history') }, { weight: 1, arbitrary: oddString() }),
        'query.poolName': fc.oneof(fc.constant('default'), oddString()),
        'query.status': fc.oneof(fc.constantFrom('Running', 'Terminated', 'Stopping'), oddString()),
      },
      typeOnly: ['ExecSandboxCommand:body.command'],
    },
    async fixtures(client) {
      const live = await client.json('POST', '/agentbox/v1/sandboxes', { poolName: 'default' });
      expectStatus('the live sandbox', live, 201);
      const released = await client.json('POST', '/agentbox/v1/sandboxes', { poolName: 'default' });
      expectStatus('the released sandbox', released, 201);
      expectStatus('the release', await client.json('DELETE', `/agentbox/v1/sandboxes/${released.body.sandbox.sandboxId}`), 202);
      return { 'live.id': live.body.sandbox.sandboxId, 'released.id': released.body.sandbox.sandboxId };
    },
    ping: { method: 'GET', path: '/agentbox/ping' },
  },
  {
    name: 'e2b',
    mounts: ['e2b-api', 'e2b-envd'],
    hints: {
      valid: {
        'path.sandboxID': ids('sandbox'),
        // Mostly the fixtures' sandbox, often one that does not run (E2B's proxy answers 502).
        'header.E2b-Sandbox-Id': fc.oneof({ weight: 5, arbitrary: fc.constant(known('sandbox')) }, { weight: 2, arbitrary: oddString() }),
        // The sandbox is secure (made by /v2/sandboxes): mostly its token, at times a wrong one (401).
        'header.X-Access-Token': fc.oneof({ weight: 5, arbitrary: fc.constant(known('token')) }, { weight: 1, arbitrary: oddString() }),
        'body.templateID': fc.oneof(fc.constant('base'), oddString()),
        'body.timeout': fc.integer({ min: 0, max: 3600 }),
        'body.envVars{}': envName,
        // Pids that name nothing running here: the fixtures start no process (Start takes an
        // enveloped body, which the generators only ever break).
        'body.process.pid': pidLike.map(Number).filter((n) => Number.isInteger(n) && n >= 0 && n <= 4294967295),
      },
    },
    async fixtures(client) {
      const created = await client.json('POST', '/e2b/v2/sandboxes', { templateID: 'base', timeout: 3600 });
      expectStatus('the sandbox', created, 201);
      return { sandbox: created.body.sandboxID, token: created.body.envdAccessToken };
    },
    ping: { method: 'GET', path: '/e2b/v2/sandboxes' },
  },
];
