import { createServer } from 'node:net';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { TRUNCATION_MARKER } from './output-text.ts';
import { eventually, pidGone, startBlaxel, type BlaxelTarget, type SandboxClient } from '../../test-support/blaxel-kit.ts';

let target: BlaxelTarget;
let box: SandboxClient;
let n = 0;

beforeAll(async () => {
  target = await startBlaxel({ stopGraceMs: 2_000 });
});

afterAll(async () => {
  await target?.emulator.close();
});

beforeEach(() => {
  box = target.sandbox(`box-${++n}`);
});

afterEach(() => {
  expect(target.emulator.app.violations).toEqual([]);
});

const DATE = /^[A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} GMT$/;

describe('POST /process', () => {
  it('with waitForCompletion answers the finished record with its logs', async () => {
    const response = await box.post({ command: 'echo hello world', name: 'hello', waitForCompletion: true });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/json; charset=utf-8');
    // The real server says `*`; the emulator names no origin unless the user allowed one
    // (transports/http/browser-guard.ts), so no web page can read what a command printed.
    expect(response.headers.get('access-control-allow-origin')).toBeNull();
    expect(response.headers.get('access-control-allow-methods')).toBe('GET, POST, PUT, DELETE, HEAD, OPTIONS');
    const body = await response.json();
    expect(body).toMatchObject({ name: 'hello', command: 'echo hello world', status: 'completed', exitCode: 0, workingDir: '', logs: 'hello world\n', stdout: 'hello world\n', stderr: '' });
    expect(body.pid).toMatch(/^\d+$/);
    expect(body.startedAt).toMatch(DATE);
    expect(body.completedAt).toMatch(DATE);
  });

  it('keeps stdout and stderr apart, the exit code, and the real order in logs', async () => {
    const command = 'echo a; sleep 0.1; echo b >&2; sleep 0.1; echo c; exit 3';
    const started = await box.exec({ command, name: 'three' });
    expect(started.status).toBe('running');
    expect(started.completedAt).toBe('');
    expect(started.exitCode).toBe(0);
    const done = await box.waitEnded(started.pid);
    expect(done).toMatchObject({ status: 'failed', exitCode: 3, stdout: 'a\nc\n', stderr: 'b\n', logs: 'a\nb\nc\n' });
    const logs = await (await box.fetch('/process/three/logs')).json();
    expect(logs).toEqual({ stdout: 'a\nc\n', stderr: 'b\n', logs: 'a\nb\nc\n' });
    expect(Object.keys(logs)).toEqual(['stdout', 'stderr', 'logs']);
    const list = await (await box.fetch('/process')).json();
    expect(list).toHaveLength(1);
    expect(list[0]).toMatchObject({ pid: started.pid, status: 'failed', exitCode: 3 });
  });

  it('defaults the name to proc- plus eight characters and runs in the sandbox folder', async () => {
    const first = await box.exec({ command: 'pwd; echo $HOME', waitForCompletion: true });
    expect(first.name).toMatch(/^proc-[a-z0-9]{8}$/);
    const [pwd, home] = first.stdout.trim().split('\n');
    expect(pwd).toBe(home);
    await box.exec({ command: 'mkdir -p sub/dir', waitForCompletion: true });
    const relative = await box.exec({ command: 'pwd', workingDir: 'sub/dir', waitForCompletion: true });
    expect(relative.stdout.trim()).toBe(`${pwd}/sub/dir`);
    expect(relative.workingDir).toBe('sub/dir');
    const tilde = await box.exec({ command: 'pwd', workingDir: '~/sub', waitForCompletion: true });
    expect(tilde.stdout.trim()).toBe(`${pwd}/sub`);
    // Echoed as the sandbox names it: HOME is the sandbox's folder, its "/".
    expect(tilde.workingDir).toBe('/sub');
  });

  it('merges the request env over the sandbox env', async () => {
    const done = await box.exec({ command: 'echo "$GREETING $HOME"', env: { GREETING: 'hi' }, waitForCompletion: true });
    expect(done.stdout).toMatch(/^hi \/.+\n$/);
  });

  it('refuses a name held by a running process and reuses it once that one ended', async () => {
    const first = await box.exec({ command: 'read x; echo first', name: 'dup', stdin: true });
    const clash = await box.post({ command: 'echo again', name: 'dup' });
    expect(clash.status).toBe(400);
    expect(await clash.json()).toEqual({ error: "process with name 'dup' already exists and is running" });
    await box.fetch('/process/dup/stdin', { method: 'DELETE' });
    await box.waitEnded(first.pid);
    const second = await box.exec({ command: 'echo second', name: 'dup', waitForCompletion: true });
    expect(second.pid).not.toBe(first.pid);
    expect((await box.get('dup')).pid).toBe(second.pid);
    expect((await box.get(first.pid)).stdout).toBe('first\n');
  });

  it('resolves an all-digit identifier as a pid only', async () => {
    const byName = await box.exec({ command: 'echo named', name: '12345', waitForCompletion: true });
    const byPid = await box.get(byName.pid);
    expect(byPid.name).toBe('12345');
    const missing = await box.fetch('/process/12345');
    // A process named "12345" is never found by that name (unless its pid happens to be 12345).
    if (byName.pid !== '12345') expect(missing.status).toBe(404);
  });

  it('answers 422 when the folder does not exist', async () => {
    const response = await box.post({ command: 'echo x', workingDir: '/nope/nowhere' });
    expect(response.status).toBe(422);
    expect(await response.json()).toEqual({ error: "failed to start process: could not execute command 'echo x' because folder '/nope/nowhere' does not exist" });
  });

  it('reads an absolute workingDir inside the sandbox folder, its "/"', async () => {
    const root = (await box.exec({ command: 'pwd', waitForCompletion: true })).stdout.trim();
    await box.exec({ command: 'mkdir -p app', waitForCompletion: true });
    const absolute = await box.exec({ command: 'pwd', workingDir: '/app', waitForCompletion: true });
    expect(absolute.stdout.trim()).toBe(`${root}/app`);
    expect(absolute.workingDir).toBe('/app');
    const inside = await box.exec({ command: 'pwd', workingDir: '/app/../app/./', waitForCompletion: true });
    expect(inside.stdout.trim()).toBe(`${root}/app`);
  });

  it('refuses a workingDir that leads out of the sandbox folder, by .. or through a symlink', async () => {
    const outside = { error: "failed to start process: could not access working directory '/../..': path is outside of the root directory" };
    const climb = await box.post({ command: 'touch escaped', workingDir: '/../..' });
    expect(climb.status).toBe(422);
    expect(await climb.json()).toEqual(outside);
    await box.exec({ command: 'ln -s / out', waitForCompletion: true });
    const link = await box.post({ command: 'touch escaped', workingDir: 'out/tmp' });
    expect(link.status).toBe(422);
    expect((await link.json()).error).toBe("failed to start process: could not access working directory 'out/tmp': path is outside of the root directory");
    const nul = await box.post({ command: 'touch escaped', workingDir: 'a\u0000b' });
    expect(nul.status).toBe(422);
    expect((await nul.json()).error).toBe("failed to start process: could not access working directory 'a\u0000b': invalid argument");
    // None of the refused commands ran.
    const list = (await (await box.fetch('/process')).json()) as Array<{ command: string }>;
    expect(list.map((p) => p.command)).toEqual(['ln -s / out']);
  });

  it('answers 422 when waitForCompletion outlives timeout, and the process keeps running', async () => {
    const response = await box.post({ command: 'sleep 30', name: 'slow', waitForCompletion: true, timeout: 1 });
    expect(response.status).toBe(422);
    expect(await response.json()).toEqual({ error: 'process timed out after 1 seconds' });
    const slow = await box.get('slow');
    expect(slow.status).toBe('running');
    await box.fetch('/process/slow/kill', { method: 'DELETE' });
  });

  it('answers 400 invalid request body for malformed JSON, wrong types and a missing command', async () => {
    const malformed = await box.post('{"command": ');
    expect(malformed.status).toBe(400);
    // Go's decoder words it, not JavaScript's parser.
    expect(await malformed.json()).toEqual({ error: 'invalid request body: unexpected EOF' });
    const badKey = await box.post('{command: "echo"}');
    expect(await badKey.json()).toEqual({ error: 'invalid request body: invalid character \'c\' looking for beginning of object key string' });
    const wrongType = await box.post({ command: 'echo', timeout: '30' });
    expect(wrongType.status).toBe(400);
    expect((await wrongType.json()).error).toMatch(/^invalid request body: .*timeout/);
    const missing = await box.post({ name: 'x' });
    expect(missing.status).toBe(400);
    expect(await missing.json()).toEqual({ error: "invalid request body: Key: 'ProcessRequest.Command' Error:Field validation for 'Command' failed on the 'required' tag" });
    const empty = await box.post({ command: '' });
    expect(empty.status).toBe(400);
    const none = await box.post('');
    expect(none.status).toBe(400);
    expect(await none.json()).toEqual({ error: 'invalid request body: EOF' });
  });
});

describe('waits and timers', () => {
  it('waitForPorts answers once the port listens on a routable address; an expired wait is a 422', async () => {
    const port = await freePort();
    const server = `exec node -e "require('net').createServer().listen(${port}, '0.0.0.0')"`;
    const ready = await box.exec({ command: server, name: 'web', waitForPorts: [port], timeout: 10 });
    expect(ready.status).toBe('running');
    await box.fetch('/process/web/kill', { method: 'DELETE' });
    const never = await box.post({ command: 'sleep 30', name: 'quiet', waitForPorts: [await freePort()], timeout: 1 });
    expect(never.status).toBe(422);
    expect(await never.json()).toEqual({ error: 'process timed out waiting for ports after 1 seconds' });
    await box.fetch('/process/quiet/kill', { method: 'DELETE' });
  });

  it('keepAlive with a timeout kills the process when it expires', async () => {
    const p = await box.exec({ command: 'sleep 30', keepAlive: true, timeout: 1 });
    expect(p.keepAlive).toBe(true);
    expect(await box.waitEnded(p.pid, 5_000)).toMatchObject({ status: 'killed', exitCode: -1 });
  });
});

describe('stop and kill', () => {
  it('stop ends a long-running process with SIGTERM: status stopped, exit code -1, pid gone', async () => {
    const p = await box.exec({ command: 'sleep 30', name: 'sleeper' });
    const response = await box.fetch('/process/sleeper', { method: 'DELETE' });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ message: 'Process stopped successfully' });
    const done = await box.waitEnded(p.pid);
    expect(done).toMatchObject({ status: 'stopped', exitCode: -1 });
    expect(done.completedAt).toMatch(DATE);
    await eventually(() => pidGone(p.pid));
    const again = await box.fetch('/process/sleeper', { method: 'DELETE' });
    expect(again.status).toBe(404);
    expect(await again.json()).toEqual({ error: 'process with Identifier sleeper is not running' });
  });

  it('stop escalates to SIGKILL after the grace when SIGTERM is ignored', async () => {
    const p = await box.exec({ command: "trap '' TERM; echo ready; while :; do sleep 0.05; done", name: 'stubborn' });
    await box.untilOutput('stubborn', 'stdout:ready');
    await box.fetch('/process/stubborn', { method: 'DELETE' });
    const done = await box.waitEnded(p.pid, 10_000);
    expect(done).toMatchObject({ status: 'stopped', exitCode: -1 });
    await eventually(() => pidGone(p.pid));
  });

  it('a process that traps SIGTERM and exits 0 ends completed', async () => {
    const p = await box.exec({ command: "trap 'exit 0' TERM; echo ready; while :; do sleep 0.05; done", name: 'polite' });
    await box.untilOutput('polite', 'stdout:ready');
    await box.fetch('/process/polite', { method: 'DELETE' });
    expect(await box.waitEnded(p.pid)).toMatchObject({ status: 'completed', exitCode: 0 });
  });

  it('kill ends a process with SIGKILL: status killed, pid gone; a second kill is a 404', async () => {
    const p = await box.exec({ command: 'sleep 30', name: 'victim' });
    const response = await box.fetch(`/process/${p.pid}/kill`, { method: 'DELETE' });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ message: 'Process killed successfully' });
    expect(await box.waitEnded(p.pid)).toMatchObject({ status: 'killed', exitCode: -1 });
    await eventually(() => pidGone(p.pid));
    const again = await box.fetch(`/process/${p.pid}/kill`, { method: 'DELETE' });
    expect(again.status).toBe(404);
    expect(await again.json()).toEqual({ error: `failed to kill process with Identifier ${p.pid}: no such process` });
  });
});

describe('unknown identifiers', () => {
  it('answer 404 in the server’s words on every route', async () => {
    const cases: Array<[string, string, string]> = [
      ['GET', '/process/nope', 'process not found'],
      ['DELETE', '/process/nope', 'process with Identifier nope not found'],
      ['DELETE', '/process/nope/kill', 'process with Identifier nope not found'],
      ['GET', '/process/nope/logs', 'process with PID nope not found'],
      ['GET', '/process/nope/logs/stream', 'process with Identifier nope not found'],
      ['POST', '/process/nope/stdin', 'process with Identifier nope not found'],
      ['DELETE', '/process/nope/stdin', 'process with Identifier nope not found'],
    ];
    for (const [method, path, error] of cases) {
      const response = await box.fetch(path, { method, ...(method === 'POST' ? { body: 'x', headers: { 'content-type': 'application/octet-stream' } } : {}) });
      expect(response.status, `${method} ${path}`).toBe(404);
      expect(response.headers.get('content-type')).toBe('application/json; charset=utf-8');
      expect(await response.json()).toEqual({ error });
    }
  });

  it('an unknown route gets gin’s plain-text 404; OPTIONS and HEAD answer as the middleware does', async () => {
    const response = await box.fetch('/nothing-here');
    expect(response.status).toBe(404);
    expect(await response.text()).toBe('404 page not found');
    expect((await box.fetch('/process', { method: 'OPTIONS' })).status).toBe(204);
    const head = await box.fetch('/process/anything', { method: 'HEAD' });
    expect(head.status).toBe(200);
  });
});

describe('stdin', () => {
  it('writes reach the process and closing stdin gives it end-of-file', async () => {
    const p = await box.exec({ command: 'cat', name: 'echoer', stdin: true });
    expect(p.stdin).toBe(true);
    const write = await box.fetch('/process/echoer/stdin', { method: 'POST', headers: { 'content-type': 'application/octet-stream' }, body: 'hello stdin\n' });
    expect(write.status).toBe(200);
    const closed = await box.fetch('/process/echoer/stdin', { method: 'DELETE' });
    expect(closed.status).toBe(200);
    expect(await box.waitEnded(p.pid)).toMatchObject({ status: 'completed', stdout: 'hello stdin\n' });
  });

  it('a process started without stdin has no pipe to write to (409)', async () => {
    await box.exec({ command: 'sleep 30', name: 'deaf' });
    const write = await box.fetch('/process/deaf/stdin', { method: 'POST', headers: { 'content-type': 'application/octet-stream' }, body: 'x' });
    expect(write.status).toBe(409);
    await box.fetch('/process/deaf/kill', { method: 'DELETE' });
  });
});

describe('output cap', () => {
  it('GET /process shows the last 64 KiB per stream while GET /logs shows up to 4 MiB', async () => {
    const done = await box.exec({ command: "head -c 100000 /dev/zero | tr '\\0' a", name: 'big', waitForCompletion: true });
    expect(done.stdout).toHaveLength(100000);
    const view = await box.get('big');
    expect(view.stdout).toBe(TRUNCATION_MARKER + 'a'.repeat(65536));
    expect(view.logs).toBe(view.stdout);
    const logs = await (await box.fetch('/process/big/logs')).json();
    expect(logs.stdout).toBe('a'.repeat(100000));
  });

  it('keeps the last bytes of each stream and marks the cut', async () => {
    const small = await startBlaxel({ outputCapBytes: 1024 });
    try {
      const sb = small.sandbox('cap');
      const done = await sb.exec({ command: 'i=0; while [ $i -lt 2000 ]; do echo "line $i"; i=$((i+1)); done; echo end >&2', waitForCompletion: true });
      expect(done.stdout.startsWith(TRUNCATION_MARKER)).toBe(true);
      const kept = done.stdout.slice(TRUNCATION_MARKER.length);
      expect(Buffer.byteLength(kept)).toBe(1024);
      expect(kept.endsWith('line 1999\n')).toBe(true);
      expect(done.stderr).toBe('end\n');
      expect(done.logs.startsWith(TRUNCATION_MARKER)).toBe(true);
      expect(done.logs.endsWith('line 1999\nend\n')).toBe(true);
      const logs = await (await sb.fetch(`/process/${done.pid}/logs`)).json();
      expect(logs.stdout).toBe(done.stdout);
      expect((await sb.get(done.pid)).stdout).toBe(done.stdout);
      const stream = await (await sb.fetch(`/process/${done.pid}/logs/stream`)).text();
      expect(stream.startsWith(`stdout:${TRUNCATION_MARKER}`)).toBe(true);
      expect(stream.endsWith('stdout:line 1999\nstderr:end\n')).toBe(true);
      expect(small.emulator.app.violations).toEqual([]);
    } finally {
      await small.emulator.close();
    }
  });
});

describe('close', () => {
  it('leaves no process alive', async () => {
    const own = await startBlaxel();
    const sb = own.sandbox('closing');
    const a = await sb.exec({ command: 'sleep 30' });
    const b = await sb.exec({ command: "trap '' TERM; sleep 30" });
    const c = await own.sandbox('other').exec({ command: 'sleep 30 & wait' });
    await own.emulator.close();
    for (const p of [a, b, c]) expect(pidGone(p.pid), `pid ${p.pid}`).toBe(true);
  });
});

describe('auth', () => {
  it('with a token, a request without the credential gets the gateway 401 on every route', async () => {
    const guarded = await startBlaxel({ tokens: { blaxel: 't' } });
    try {
      const sb = guarded.sandbox('locked');
      for (const path of ['/process', '/process/x', '/process/x/logs', '/process/x/logs/stream']) {
        const response = await sb.fetch(path);
        expect(response.status, path).toBe(401);
        expect(await response.json()).toEqual({ error: 'missing or invalid credentials' });
      }
      const wrong = await sb.withHeaders({ authorization: 'Bearer nope' }).fetch('/process');
      expect(wrong.status).toBe(401);
      const sdk = await sb.withHeaders({ 'x-blaxel-authorization': 'Bearer t' }).fetch('/process');
      expect(sdk.status).toBe(200);
      const curl = await sb.withHeaders({ authorization: 'Bearer t' }).exec({ command: 'echo ok', waitForCompletion: true });
      expect(curl.stdout).toBe('ok\n');
      const control = await fetch(`${guarded.control}/sandboxes`);
      expect(control.status).toBe(401);
      expect(guarded.emulator.app.violations).toEqual([]);
    } finally {
      await guarded.emulator.close();
    }
  });
});

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}
