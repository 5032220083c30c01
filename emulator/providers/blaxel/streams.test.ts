import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startBlaxel, TextStream, type BlaxelTarget, type SandboxClient } from '../../test-support/blaxel-kit.ts';

let target: BlaxelTarget;
let box: SandboxClient;
let n = 0;

beforeAll(async () => {
  target = await startBlaxel();
});

afterAll(async () => {
  await target?.emulator.close();
});

beforeEach(() => {
  box = target.sandbox(`stream-${++n}`);
});

afterEach(() => {
  expect(target.emulator.app.violations).toEqual([]);
});

/** The NDJSON frames of a streamed body, parsed. */
function frames(text: string): Array<{ type: string; data?: string }> {
  return text
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line));
}

describe('GET /process/{identifier}/logs/stream', () => {
  it('delivers a line while the process runs, and ends when it exits', async () => {
    const p = await box.exec({ command: 'echo first; echo oops >&2; read x; echo "got $x"', name: 'talker', stdin: true });
    const response = await box.fetch('/process/talker/logs/stream');
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/plain; charset=utf-8');
    const stream = new TextStream(response);
    await stream.until((t) => t.includes('stdout:first\n') && t.includes('stderr:oops\n'));
    expect((await box.get(p.pid)).status).toBe('running');
    await box.fetch('/process/talker/stdin', { method: 'POST', headers: { 'content-type': 'application/octet-stream' }, body: 'more\n' });
    const all = await stream.rest();
    expect(all).toBe('stdout:first\nstderr:oops\nstdout:got more\n');
    expect((await box.get(p.pid)).status).toBe('completed');
  });

  it('replays a finished process and ends at once, prefixing every line and the last partial one', async () => {
    await box.exec({ command: "printf 'a\\nb\\nc'", name: 'done', waitForCompletion: true });
    const text = await (await box.fetch('/process/done/logs/stream')).text();
    expect(text).toBe('stdout:a\nstdout:b\nstdout:c\n');
  });

  it('shows the stop banner unprefixed', async () => {
    await box.exec({ command: 'echo up; sleep 30', name: 'banner' });
    const stream = new TextStream(await box.fetch('/process/banner/logs/stream'));
    await stream.until((t) => t.includes('stdout:up\n'));
    await box.fetch('/process/banner', { method: 'DELETE' });
    expect(await stream.rest()).toBe('stdout:up\n\n[Process is being gracefully terminated]\n');
  });

  it('answers an unknown id with the documented JSON 404', async () => {
    const response = await box.fetch('/process/ghost/logs/stream');
    expect(response.status).toBe(404);
    expect(await response.json()).toEqual({ error: 'process with Identifier ghost not found' });
  });
});

describe('POST /process streaming (Accept: text/event-stream)', () => {
  it('sends NDJSON output frames as they come, then a result frame holding the ProcessResponse', async () => {
    const response = await box.post({ command: 'echo one; read x; echo two >&2; exit 4', name: 'ndjson', stdin: true, waitForCompletion: true }, { accept: 'text/event-stream' });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/x-ndjson');
    const stream = new TextStream(response);
    await stream.until((t) => t.includes('"type":"stdout"'));
    expect(frames(stream.text)[0]).toEqual({ type: 'stdout', data: 'one\n' });
    await box.fetch('/process/ndjson/stdin', { method: 'POST', headers: { 'content-type': 'application/octet-stream' }, body: '\n' });
    const all = frames(await stream.rest());
    expect(all.filter((f) => f.type === 'stderr')).toEqual([{ type: 'stderr', data: 'two\n' }]);
    const last = all[all.length - 1];
    expect(last.type).toBe('result');
    const result = JSON.parse(last.data!);
    expect(result).toMatchObject({ name: 'ndjson', status: 'failed', exitCode: 4, stdout: 'one\n', stderr: 'two\n', logs: 'one\ntwo\n' });
    expect(result.pid).toMatch(/^\d+$/);
  });

  it('answers a start failure with the JSON 422 before streaming', async () => {
    const response = await box.post({ command: 'x', workingDir: '/nope' }, { accept: 'text/event-stream' });
    expect(response.status).toBe(422);
    expect(await response.json()).toEqual({ error: "failed to start process: could not execute command 'x' because folder '/nope' does not exist" });
  });
});

describe('observed fidelity', () => {
  let observed: BlaxelTarget;
  beforeAll(async () => {
    observed = await startBlaxel({ fidelity: 'observed' });
  });
  afterAll(async () => {
    await observed?.emulator.close();
  });
  afterEach(() => {
    expect(observed.emulator.app.violations).toEqual([]);
  });

  it('logs-stream-unknown-id-200: an unknown id gets 200 text/plain carrying the JSON error', async () => {
    const response = await observed.sandbox('o').fetch('/process/nope/logs/stream');
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/plain; charset=utf-8');
    expect(await response.text()).toBe('{"error":"process with Identifier nope not found"}');
  });

  it('logs-concatenated: logs is stdout followed by stderr', async () => {
    const done = await observed.sandbox('o').exec({ command: 'echo a; sleep 0.1; echo b >&2; sleep 0.1; echo c', waitForCompletion: true });
    expect(done.logs).toBe('a\nc\nb\n');
  });

  it('exec-stream-errors-as-frames: a start failure arrives as 200 and one error frame', async () => {
    const response = await observed.sandbox('o').post({ command: 'x', workingDir: '/nope' }, { accept: 'text/event-stream' });
    expect(response.status).toBe(200);
    expect(frames(await response.text())).toEqual([{ type: 'error', data: "failed to start process: could not execute command 'x' because folder '/nope' does not exist" }]);
  });

  it('stop-sets-stopped-immediately: the status is stopped while the process still runs', async () => {
    const sb = observed.sandbox('o');
    const p = await sb.exec({ command: "trap '' TERM; echo ready; sleep 30", name: 'stubborn' });
    await sb.untilOutput('stubborn', 'stdout:ready');
    await sb.fetch('/process/stubborn', { method: 'DELETE' });
    const now = await sb.get(p.pid);
    expect(now.status).toBe('stopped');
    expect(now.completedAt).toBe('');
    const again = await sb.fetch('/process/stubborn', { method: 'DELETE' });
    expect(again.status).toBe(404);
    await sb.fetch('/process/stubborn/kill', { method: 'DELETE' });
    expect((await sb.waitEnded(p.pid)).status).toBe('killed');
  });

  it('logs-stream-prefix-per-chunk: a live chunk of several lines is prefixed once', async () => {
    const sb = observed.sandbox('o');
    await sb.exec({ command: 'read x; printf "a\\nb\\n"', name: 'chunky', stdin: true });
    const stream = new TextStream(await sb.fetch('/process/chunky/logs/stream'));
    await sb.fetch('/process/chunky/stdin', { method: 'POST', headers: { 'content-type': 'application/octet-stream' }, body: '\n' });
    expect(await stream.rest()).toBe('stdout:a\nb\n');
  });
});
