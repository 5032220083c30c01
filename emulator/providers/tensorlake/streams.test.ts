import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startTensorlake, SseReader, type TensorlakeTarget } from '../../test-support/tensorlake-kit.ts';

// Follow and run streams, read event by event while the process still runs.

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

describe('tensorlake follow streams', () => {
  it('each follow delivers a line while the process runs, then eof once it exits, then the response ends', async () => {
    const box = tl.sandbox();
    const proc = await box.sh('echo first; echo first-err >&2; read x; echo last', { stdin_mode: 'pipe' });
    const stdout = await box.follow(proc.pid, 'stdout');
    const stderr = await box.follow(proc.pid, 'stderr');
    const output = await box.follow(proc.pid, 'output');
    for (const follow of [stdout, stderr, output]) {
      expect(follow.status).toBe(200);
      expect(follow.contentType).toBe('text/event-stream');
    }

    const out = await stdout.nextEvent();
    expect(out).toMatchObject({ event: 'output', json: { line: 'first' } });
    expect(out!.json).not.toHaveProperty('stream');
    expect(out!.json.timestamp).toBeGreaterThanOrEqual(proc.started_at);
    const err = await stderr.nextEvent();
    expect(err).toMatchObject({ event: 'output', json: { line: 'first-err' } });
    expect(err!.json).not.toHaveProperty('stream');
    const merged = [await output.nextEvent(), await output.nextEvent()].map((e) => e!.json);
    expect(merged).toEqual(
      expect.arrayContaining([
        { line: 'first', timestamp: expect.any(Number), stream: 'stdout' },
        { line: 'first-err', timestamp: expect.any(Number), stream: 'stderr' },
      ]),
    );
    // Still running: the process waits on stdin.
    expect((await box.get(proc.pid)).status).toBe('running');

    await box.fetch(`/api/v1/processes/${proc.pid}/stdin/close`, { method: 'POST' });
    expect(await stdout.rest()).toEqual([
      expect.objectContaining({ event: 'output', json: { line: 'last', timestamp: expect.any(Number) } }),
      { event: 'eof', data: '{}', json: {} },
    ]);
    expect(await stderr.rest()).toEqual([{ event: 'eof', data: '{}', json: {} }]);
    expect((await output.rest()).map((e) => e.event)).toEqual(['output', 'eof']);
  });

  it('a follow opened before any output delivers the line live, then eof, then closes', async () => {
    const box = tl.sandbox();
    const proc = await box.start({ command: 'sh', args: ['-c', 'read x; echo "live $x"'], stdin_mode: 'pipe' });
    const follow = await box.follow(proc.pid, 'stdout');
    const asked = Date.now();
    await box.fetch(`/api/v1/processes/${proc.pid}/stdin`, { method: 'POST', body: 'line\n' });
    const event = await follow.nextEvent();
    expect(event).toMatchObject({ event: 'output', json: { line: 'live line' } });
    // Spec fidelity: a live line carries its capture time in ms.
    expect(event!.json.timestamp).toBeGreaterThanOrEqual(asked - 5);
    expect(event!.json.timestamp).toBeLessThanOrEqual(Date.now());
    expect(await follow.nextEvent()).toMatchObject({ event: 'eof', json: {} });
    expect(await follow.next()).toBeNull();
  });

  it('replays an exited process with real timestamps, flushes an unterminated last line, then eof', async () => {
    const box = tl.sandbox();
    const proc = await box.sh("echo one; printf 'two-no-newline'");
    await box.waitForEnd(proc.pid);
    const events = await (await box.follow(proc.pid, 'stdout')).rest();
    expect(events.map((e) => e.json)).toEqual([
      { line: 'one', timestamp: expect.any(Number) },
      { line: 'two-no-newline', timestamp: expect.any(Number) },
      {},
    ]);
    expect(events[0].json.timestamp).toBeGreaterThan(0);
    expect(await box.lines(proc.pid, 'stdout')).toEqual(['one', 'two-no-newline']);
  });

  it('leaves the process running when the follower goes away', async () => {
    const box = tl.sandbox();
    const proc = await box.sh('echo tick; sleep 30');
    const follow = await box.follow(proc.pid, 'output');
    expect((await follow.nextEvent())?.json.line).toBe('tick');
    await follow.cancel();
    expect((await box.get(proc.pid)).status).toBe('running');
    await box.fetch(`/api/v1/processes/${proc.pid}`, { method: 'DELETE' });
    expect((await box.waitForEnd(proc.pid)).signal).toBe(9);
  });
});

describe('tensorlake run', () => {
  async function run(box: ReturnType<TensorlakeTarget['sandbox']>, body: unknown): Promise<SseReader> {
    return new SseReader(await box.postJson('/api/v1/processes/run', body));
  }

  it('streams the started frame, each line with its stream, the real exit code, then ends', async () => {
    const box = tl.sandbox();
    const reader = await run(box, { command: 'sh', args: ['-c', 'echo one; sleep 0.1; echo two >&2; exit 7'], env: { X: '1' } });
    expect([reader.status, reader.contentType]).toEqual([200, 'text/event-stream']);
    const frames = await reader.rest();
    // Data-only frames: no `event:` line.
    expect(frames.every((f) => f.event === undefined)).toBe(true);
    expect(frames.map((f) => f.json)).toEqual([
      { handle: expect.any(Number), pid: expect.any(Number), started_at: expect.any(Number) },
      { line: 'one', timestamp: expect.any(Number), stream: 'stdout' },
      { line: 'two', timestamp: expect.any(Number), stream: 'stderr' },
      { exit_code: 7 },
    ]);
    // The run's process stays listed with its result.
    expect(await box.get(frames[0].json.pid)).toMatchObject({ status: 'exited', exit_code: 7 });
  });

  it('delivers a line while the command still runs, and {signal: 9} when it is killed', async () => {
    const box = tl.sandbox();
    const reader = await run(box, { command: 'sh', args: ['-c', 'echo first; sleep 30'] });
    const started = (await reader.nextEvent())!.json;
    expect((await reader.nextEvent())?.json).toMatchObject({ line: 'first', stream: 'stdout' });
    expect((await box.get(started.pid)).status).toBe('running');
    await box.fetch(`/api/v1/processes/${started.pid}`, { method: 'DELETE' });
    expect((await reader.rest()).map((f) => f.json)).toEqual([{ signal: 9 }]);
  });

  it('kills the command when the timeout (seconds) passes', async () => {
    const box = tl.sandbox();
    const reader = await run(box, { command: 'sleep', args: ['30'], timeout: 0.2 });
    const frames = (await reader.rest()).map((f) => f.json);
    expect(frames.at(-1)).toEqual({ signal: 9 });
    expect(await box.get(frames[0].pid)).toMatchObject({ status: 'signaled', signal: 9 });
  });

  it('answers a spawn failure with the documented 500 before any stream', async () => {
    const box = tl.sandbox();
    const response = await box.postJson('/api/v1/processes/run', { command: 'no-such-command-here' });
    expect(response.status).toBe(500);
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    expect(await response.json()).toEqual({ error: 'Failed to spawn process' });
    const bad = await box.postJson('/api/v1/processes/run', { command: 'true', timeout: -1 });
    expect(bad.status).toBe(422);
  });
});
