import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { alive, eventually, startTensorlake, type TensorlakeTarget } from '../../test-support/tensorlake-kit.ts';

// The process operations of the runtime API, over real HTTP with real processes. Every answer
// is validated against specs/tensorlake.yaml by the emulator itself (strict mode); afterEach
// fails the test on any violation.

let tl: TensorlakeTarget;
beforeAll(async () => {
  tl = await startTensorlake();
});
afterAll(async () => {
  await tl.emulator.close();
});
afterEach(() => {
  expect(tl.emulator.app.violations).toEqual([]);
});

describe('tensorlake runtime: start, get, captured output', () => {
  it('reports exit code 3, stdout and stderr apart, and the merged output in the real order', async () => {
    const box = tl.sandbox();
    // The pauses make the order real: two pipes read by one reader have no order of their own.
    const started = await box.sh('echo a; sleep 0.1; echo b >&2; sleep 0.1; echo c; exit 3');
    expect(started).toMatchObject({ status: 'running', exit_code: null, signal: null, ended_at: null, command: 'sh', stdin_writable: false });
    expect(started.handle).toBeGreaterThan(0);

    const ended = await box.waitForEnd(started.pid);
    expect(ended).toMatchObject({ pid: started.pid, status: 'exited', exit_code: 3, signal: null });
    expect(ended.ended_at).toBeGreaterThanOrEqual(ended.started_at);
    expect(await box.lines(started.pid, 'stdout')).toEqual(['a', 'c']);
    expect(await box.lines(started.pid, 'stderr')).toEqual(['b']);
    expect(await box.lines(started.pid, 'output')).toEqual(['a', 'b', 'c']);

    const list = (await (await box.fetch('/api/v1/processes')).json()) as { processes: Array<{ pid: number; status: string }> };
    expect(list.processes).toEqual([expect.objectContaining({ pid: started.pid, status: 'exited' })]);
  });

  it('runs argv directly (no shell), with the env merged, in the sandbox folder or a working_dir inside it', async () => {
    const box = tl.sandbox();
    const echo = await box.start({ command: 'echo', args: ['$HOME', 'a  b'] });
    await box.waitForEnd(echo.pid);
    expect(await box.lines(echo.pid, 'stdout')).toEqual(['$HOME a  b']);

    const mk = await box.start({ command: 'mkdir', args: ['sub'] });
    expect((await box.waitForEnd(mk.pid)).exit_code).toBe(0);
    const here = await box.sh('pwd; echo "$GREETING"', { env: { GREETING: 'hello' } });
    const there = await box.start({ command: 'pwd', working_dir: 'sub' });
    await box.waitForEnd(here.pid);
    await box.waitForEnd(there.pid);
    const [dir, greeting] = await box.lines(here.pid, 'stdout');
    expect(greeting).toBe('hello');
    expect(await box.lines(there.pid, 'stdout')).toEqual([`${dir}/sub`]);

    // `..` goes no higher than the sandbox's folder, as `/..` is `/`: it never leads out.
    const up = await box.start({ command: 'pwd', working_dir: '../../..' });
    const upFromSub = await box.start({ command: 'pwd', working_dir: 'sub/../../x/..' });
    await box.waitForEnd(up.pid);
    await box.waitForEnd(upFromSub.pid);
    expect(await box.lines(up.pid, 'stdout')).toEqual([dir]);
    expect(await box.lines(upFromSub.pid, 'stdout')).toEqual([dir]);
  });

  it('answers a process that cannot be spawned with the documented 500', async () => {
    const box = tl.sandbox();
    const response = await box.postJson('/api/v1/processes', { command: 'no-such-command-here' });
    expect(response.status).toBe(500);
    // The daemon's body, byte for byte; why, in our words, in a header of ours.
    expect(await response.text()).toBe('{"error":"Failed to spawn process"}');
    expect(response.headers.get('x-emulator-reason')).toMatch(/ENOENT.*no-such-command-here/);
    const missingDir = await box.postJson('/api/v1/processes', { command: 'true', working_dir: 'nope' });
    expect(missingDir.status).toBe(500);
    expect(await missingDir.json()).toEqual({ error: 'Failed to spawn process' });
    expect(missingDir.headers.get('x-emulator-reason')).toMatch(/working directory .*nope/);
    // A reason built from a huge or odd input stays a header a client can parse.
    const huge = await box.postJson('/api/v1/processes', { command: 'true', working_dir: `${'x'.repeat(20_000)}\u00e9\n` });
    expect(huge.status).toBe(500);
    expect(huge.headers.get('x-emulator-reason')!.length).toBeLessThanOrEqual(303);
  });

  it('captures nothing from a stream in discard mode', async () => {
    const box = tl.sandbox();
    const proc = await box.sh('echo out; echo err >&2', { stdout_mode: 'discard' });
    await box.waitForEnd(proc.pid);
    expect(await box.lines(proc.pid, 'stdout')).toEqual([]);
    expect(await box.lines(proc.pid, 'stderr')).toEqual(['err']);
    expect(await box.lines(proc.pid, 'output')).toEqual(['err']);
  });

  it('serves exit_code: null (a 3.1 `type: [integer, null]` field) while running, and every runtime route answers', async () => {
    const box = tl.sandbox();
    const proc = await box.start({ command: 'sleep', args: ['30'], stdin_mode: 'pipe' });
    const info = await box.get(proc.pid);
    expect(info).toMatchObject({ status: 'running', exit_code: null, signal: null, ended_at: null, stdin_writable: true });
    const base = `/api/v1/processes/${proc.pid}`;
    // Each operation of the document is routed (no route 404) for a known pid.
    const answers = await Promise.all([
      box.fetch('/api/v1/processes').then((r) => r.status),
      box.fetch(base).then((r) => r.status),
      box.fetch(`${base}/stdout`).then((r) => r.status),
      box.fetch(`${base}/stderr`).then((r) => r.status),
      box.fetch(`${base}/output`).then((r) => r.status),
      box.fetch(`${base}/stdin`, { method: 'POST', body: '' }).then((r) => r.status),
    ]);
    expect(answers).toEqual([200, 200, 200, 200, 200, 204]);
    for (const which of ['stdout', 'stderr', 'output'] as const) {
      const follow = await box.follow(proc.pid, which);
      expect([follow.status, follow.contentType]).toEqual([200, 'text/event-stream']);
      await follow.cancel();
    }
    expect((await box.fetch(`${base}/stdin/close`, { method: 'POST' })).status).toBe(204);
    expect((await box.postJson(`${base}/signal`, { signal: 0 })).status).toBe(400);
    expect((await box.fetch(base, { method: 'DELETE' })).status).toBe(204);
    await box.waitForEnd(proc.pid);
  });
});

describe('tensorlake runtime: ending processes', () => {
  it('kill sends SIGKILL to the whole group: status signaled, signal 9, pids gone', async () => {
    const box = tl.sandbox();
    const proc = await box.sh('sleep 30 & echo $!; wait');
    const follow = await box.follow(proc.pid, 'stdout');
    const childPid = Number((await follow.nextEvent())!.json.line);
    expect(alive(childPid)).toBe(true);

    expect((await box.fetch(`/api/v1/processes/${proc.pid}`, { method: 'DELETE' })).status).toBe(204);
    const rest = await follow.rest();
    expect(rest.at(-1)).toMatchObject({ event: 'eof', json: {} });
    expect(await box.get(proc.pid)).toMatchObject({ status: 'signaled', signal: 9, exit_code: null });
    expect(alive(proc.pid)).toBe(false);
    await eventually(() => !alive(childPid), `child ${childPid} to end`);
    // Spec: killing an exited process answers 204 (here the group has no one left either).
    expect((await box.fetch(`/api/v1/processes/${proc.pid}`, { method: 'DELETE' })).status).toBe(204);
  });

  it('kill of an exited process whose group lives on (a background child) still ends the group', async () => {
    const box = tl.sandbox();
    // The child lets go of stdout, so the process is reported exited as soon as sh is.
    const proc = await box.sh('sleep 324 >/dev/null 2>&1 & echo $!');
    expect(await box.waitForEnd(proc.pid)).toMatchObject({ status: 'exited', exit_code: 0 });
    const [childPid] = (await box.lines(proc.pid, 'stdout')).map(Number);
    expect(alive(childPid)).toBe(true);

    expect((await box.fetch(`/api/v1/processes/${proc.pid}`, { method: 'DELETE' })).status).toBe(204);
    await eventually(() => !alive(childPid), `child ${childPid} to end`);
    // What the process was is not rewritten: it exited with 0 before the kill.
    expect(await box.get(proc.pid)).toMatchObject({ status: 'exited', exit_code: 0 });
  });

  it("issue 19: kill after `sh -c 'sleep 324 & echo $!'` has exited ends the sleep that still holds its stdout", async () => {
    const box = tl.sandbox();
    // The sleep keeps the stdout pipe open: the process is reported exited only once the
    // emulator stops waiting for the pipe, and before the fix the kill then reached nobody.
    const proc = await box.sh('sleep 324 & echo $!');
    expect(await box.waitForEnd(proc.pid)).toMatchObject({ status: 'exited', exit_code: 0 });
    const [sleepPid] = (await box.lines(proc.pid, 'stdout')).map(Number);
    expect(alive(sleepPid)).toBe(true);

    expect((await box.fetch(`/api/v1/processes/${proc.pid}`, { method: 'DELETE' })).status).toBe(204);
    await eventually(() => !alive(sleepPid), `sleep ${sleepPid} to end`);
    // A second kill finds nothing left and still answers 204.
    expect((await box.fetch(`/api/v1/processes/${proc.pid}`, { method: 'DELETE' })).status).toBe(204);
  });

  it('signal 15 ends a sleep: status signaled, signal 15; then the process is not running (400)', async () => {
    const box = tl.sandbox();
    const proc = await box.start({ command: 'sleep', args: ['30'] });
    const sent = await box.postJson(`/api/v1/processes/${proc.pid}/signal`, { signal: 15 });
    expect(sent.status).toBe(200);
    expect(await sent.json()).toEqual({ success: true });
    expect(await box.waitForEnd(proc.pid)).toMatchObject({ status: 'signaled', signal: 15, exit_code: null });
    expect(alive(proc.pid)).toBe(false);

    const again = await box.postJson(`/api/v1/processes/${proc.pid}/signal`, { signal: 15 });
    expect(again.status).toBe(400);
    expect(await again.json()).toEqual({ error: `Process ${proc.pid} is not running` });
  });

  it('refuses an invalid signal number with 400 and leaves the process running', async () => {
    const box = tl.sandbox();
    const proc = await box.start({ command: 'sleep', args: ['30'] });
    const response = await box.postJson(`/api/v1/processes/${proc.pid}/signal`, { signal: 999 });
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({ error: 'Invalid signal 999' });
    expect((await box.get(proc.pid)).status).toBe('running');
    await box.fetch(`/api/v1/processes/${proc.pid}`, { method: 'DELETE' });
    await box.waitForEnd(proc.pid);
  });
});

describe('tensorlake runtime: stdin', () => {
  it('writes raw bytes to a piped cat, reads its echo back, and closes stdin (twice is fine)', async () => {
    const box = tl.sandbox();
    const proc = await box.start({ command: 'cat', stdin_mode: 'pipe' });
    expect(proc.stdin_writable).toBe(true);
    const follow = await box.follow(proc.pid, 'stdout');
    // No Content-Type, as the SDKs send it.
    expect((await box.fetch(`/api/v1/processes/${proc.pid}/stdin`, { method: 'POST', body: 'hello cat\n' })).status).toBe(204);
    expect((await follow.nextEvent())?.json).toMatchObject({ line: 'hello cat' });

    expect((await box.fetch(`/api/v1/processes/${proc.pid}/stdin/close`, { method: 'POST' })).status).toBe(204);
    expect((await box.fetch(`/api/v1/processes/${proc.pid}/stdin/close`, { method: 'POST' })).status).toBe(204);
    expect(await follow.rest()).toEqual([expect.objectContaining({ event: 'eof' })]);
    expect(await box.get(proc.pid)).toMatchObject({ status: 'exited', exit_code: 0, stdin_writable: false });

    const late = await box.fetch(`/api/v1/processes/${proc.pid}/stdin`, { method: 'POST', body: 'x' });
    expect(late.status).toBe(400);
    expect(await late.json()).toEqual({ error: `Process ${proc.pid} stdin is not writable`, code: 'STDIN_NOT_WRITABLE' });
  });

  it('refuses stdin of a process started with stdin closed', async () => {
    const box = tl.sandbox();
    const proc = await box.start({ command: 'sleep', args: ['30'] });
    const write = await box.fetch(`/api/v1/processes/${proc.pid}/stdin`, { method: 'POST', body: 'x' });
    expect(write.status).toBe(400);
    expect((await write.json()).code).toBe('STDIN_NOT_WRITABLE');
    const close = await box.fetch(`/api/v1/processes/${proc.pid}/stdin/close`, { method: 'POST' });
    expect(close.status).toBe(400);
    expect(await close.json()).toEqual({ error: `Process ${proc.pid} stdin is not piped` });
    await box.fetch(`/api/v1/processes/${proc.pid}`, { method: 'DELETE' });
    await box.waitForEnd(proc.pid);
  });
});

describe('tensorlake runtime: managed processes by name', () => {
  it('addresses a named process by its percent-encoded name on every route', async () => {
    const box = tl.sandbox();
    const proc = await box.start({ command: 'sh', args: ['-c', 'echo ready; read x; echo "got $x"'], name: 'web 1', stdin_mode: 'pipe' });
    expect(await box.get('web 1')).toMatchObject({ pid: proc.pid, status: 'running' });
    const follow = await box.follow('web 1', 'stdout');
    expect((await follow.nextEvent())?.json.line).toBe('ready');
    expect((await box.fetch('/api/v1/processes/web%201/stdin', { method: 'POST', body: 'go\n' })).status).toBe(204);
    expect((await follow.nextEvent())?.json.line).toBe('got go');
    await follow.rest();
    expect(await box.lines('web 1', 'stdout')).toEqual(['ready', 'got go']);
    expect((await box.get('web 1')).exit_code).toBe(0);
  });

  it('refuses an all-digit name (422) and answers 404 for an unknown name', async () => {
    const box = tl.sandbox();
    const bad = await box.postJson('/api/v1/processes', { command: 'true', name: '123' });
    expect(bad.status).toBe(422);
    expect(await bad.json()).toEqual({ error: expect.stringMatching(/^Failed to deserialize the JSON body into the target type: .*name/) });
    const unknown = await box.fetch('/api/v1/processes/nobody');
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toEqual({ error: 'Process nobody not found', code: 'NOT_FOUND' });
  });
});

describe('tensorlake runtime: errors in the provider envelope', () => {
  it('answers unknown pids with 404 NOT_FOUND on every process route', async () => {
    const box = tl.sandbox();
    const base = '/api/v1/processes/424242';
    const responses = await Promise.all([
      box.fetch(base),
      box.fetch(base, { method: 'DELETE' }),
      box.postJson(`${base}/signal`, { signal: 15 }),
      box.fetch(`${base}/stdin`, { method: 'POST', body: 'x' }),
      box.fetch(`${base}/stdin/close`, { method: 'POST' }),
      box.fetch(`${base}/stdout`),
      box.fetch(`${base}/stderr`),
      box.fetch(`${base}/output`),
      box.fetch(`${base}/stdout/follow`),
      box.fetch(`${base}/stderr/follow`),
      box.fetch(`${base}/output/follow`),
    ]);
    for (const response of responses) {
      expect(response.status).toBe(404);
      expect(response.headers.get('content-type')).toMatch(/^application\/json/);
      expect(await response.json()).toEqual({ error: 'Process 424242 not found', code: 'NOT_FOUND' });
    }
  });

  it("answers malformed JSON with 400, wrong types with 422, no JSON type with 415, in axum's words and no invented code", async () => {
    const box = tl.sandbox();
    const malformed = await box.fetch('/api/v1/processes', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"command": ' });
    expect(malformed.status).toBe(400);
    expect(await malformed.json()).toEqual({ error: 'Failed to parse the request body as JSON: EOF while parsing a value at line 1 column 12' });
    const badKey = await box.fetch('/api/v1/processes', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{command: 1}' });
    expect(await badKey.json()).toEqual({ error: 'Failed to parse the request body as JSON: key must be a string at line 1 column 2' });
    // serde_json reads bytes: a string that is not UTF-8 is refused at its closing quote (column 19
    // here), where Go would have gone on with U+FFFD. Nothing was started.
    const notUtf8 = await box.fetch('/api/v1/processes', { method: 'POST', headers: { 'content-type': 'application/json' }, body: Buffer.from('{"command":"echo \xff","args":[]}', 'latin1') });
    expect([notUtf8.status, await notUtf8.json()]).toEqual([400, { error: 'Failed to parse the request body as JSON: invalid unicode code point at line 1 column 19' }]);
    const unclosed = await box.fetch('/api/v1/processes', { method: 'POST', headers: { 'content-type': 'application/json' }, body: Buffer.from('{"command":"\xc3', 'latin1') });
    expect(await unclosed.json()).toEqual({ error: 'Failed to parse the request body as JSON: EOF while parsing a string at line 1 column 13' });
    expect((await (await box.fetch('/api/v1/processes')).json()).processes).toEqual([]);

    const wrongTypes = await box.postJson('/api/v1/processes', { command: 'echo', args: 'x', stdin_mode: 'open' });
    expect(wrongTypes.status).toBe(422);
    expect(await wrongTypes.json()).toEqual({ error: expect.stringMatching(/^Failed to deserialize the JSON body into the target type: .*args/) });

    const missing = await box.postJson('/api/v1/processes', { args: [] });
    expect(missing.status).toBe(422);
    expect((await missing.json()).error).toMatch(/command/);

    const signalType = await box.postJson('/api/v1/processes/1/signal', { signal: 'TERM' });
    expect(signalType.status).toBe(422);

    const noType = await box.fetch('/api/v1/processes', { method: 'POST', body: '{"command":"true"}' });
    expect(noType.status).toBe(415);
    expect(await noType.text()).toBe('{"error":"Expected request with `Content-Type: application/json`"}');
  });

  it('answers an unknown route with 404 and a wrong method with 405, both in JSON', async () => {
    const box = tl.sandbox();
    const route = await box.fetch('/api/v1/nothing-here');
    expect(route.status).toBe(404);
    expect(await route.json()).toMatchObject({ code: 'NOT_FOUND' });
    const method = await box.fetch('/api/v1/processes', { method: 'PUT' });
    expect(method.status).toBe(405);
    expect(method.headers.get('allow')).toContain('POST');
  });
});
