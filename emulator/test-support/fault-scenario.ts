// Faults as a real client sees them, run once per transport (faults/faults-http.test.ts,
// faults/faults-msw.test.ts): the injected ones (latency, a replaced status, a reset
// connection, a cut stream) and the workload's own (a process killed with SIGKILL while
// followed, output in partial lines, binary output). One file per transport because msw
// patches the process's fetch for as long as it listens.

import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { BlaxelBox, framesAndError, sseEvent, TensorlakeBox, watchStreamRelease, type FaultTarget, type FaultTransport } from './fault-kit.ts';

export function describeFaults(transport: FaultTransport): void {
  let target: FaultTarget;
  let n = 0;
  const blaxel = () => new BlaxelBox(target.blaxel(`faults-${++n}`));
  const tensorlake = () => new TensorlakeBox(target.tensorlake(`faults-${++n}`));

  beforeAll(async () => {
    target = await transport.start();
  });
  afterAll(async () => {
    await target?.close();
  });
  afterEach(() => {
    target.faults.clear();
    expect(target.app.violations).toEqual([]);
  });

  describe(`injected faults, ${transport.name}`, () => {
    it('latencyMs delays the answer by at least that long, and the answer is unchanged', async () => {
      const box = blaxel();
      await box.exec({ command: 'echo hi', name: 'slow', waitForCompletion: true });
      target.faults.add({ match: { operationId: 'getProcess' }, latencyMs: 300 });
      const asked = performance.now();
      const response = await box.get('slow');
      // A lower bound only. The 1 ms of slack: libuv measures timers from its cached loop time.
      expect(performance.now() - asked).toBeGreaterThanOrEqual(299);
      expect(response.status).toBe(200);
      expect(await response.json()).toMatchObject({ name: 'slow', status: 'completed', stdout: 'hi\n' });
    });

    it('status replaces the status and keeps the body', async () => {
      const box = blaxel();
      await box.exec({ command: 'echo hi', name: 'unlucky', waitForCompletion: true });
      target.faults.add({ match: { operationId: 'getProcess' }, status: 503 });
      const response = await box.get('unlucky');
      expect(response.status).toBe(503);
      expect(response.headers.get('content-type')).toMatch(/^application\/json/);
      expect(await response.json()).toMatchObject({ name: 'unlucky', status: 'completed' });
      // The replaced status is outside the spec on purpose; the answer was checked before it was
      // replaced, so no violation is on record (the afterEach checks that).
    });

    it('reset drops the connection: fetch rejects, and the request never reached a handler', async () => {
      const box = blaxel();
      target.faults.add({ match: { operationId: 'startProcess' }, reset: true, times: 1 });
      await expect(box.exec({ command: 'echo never', name: 'reset' })).rejects.toThrow(TypeError);
      const list = await (await fetch(`${box.base}/process`)).json();
      expect(list).toEqual([]);
      // times: 1, so the next one goes through.
      expect(await box.exec({ command: 'true', name: 'after', waitForCompletion: true })).toMatchObject({ status: 'completed' });
    });

    it('cutAfterFrames cuts a Blaxel logs stream: exactly N lines, then an error, and the follower is released', async () => {
      const box = blaxel();
      // One write of 200 lines: the cut falls inside the frames of one read.
      await box.exec({ command: "printf 'line-%s\\n' $(seq 1 200); sleep 30", name: 'chatty' });
      const watch = watchStreamRelease(target.app, 'blaxel-sandbox', 'streamProcessLogs');
      try {
        target.faults.add({ match: { operationId: 'streamProcessLogs' }, cutAfterFrames: 5 });
        const { frames, error } = await framesAndError(await box.logsStream('chatty'));
        expect(frames).toEqual(['stdout:line-1', 'stdout:line-2', 'stdout:line-3', 'stdout:line-4', 'stdout:line-5']);
        expect(error).toBeInstanceOf(Error);
        await watch.released;
      } finally {
        watch.restore();
      }
      expect(await box.info('chatty')).toMatchObject({ status: 'running' });
    });

    it('cutAfterFrames cuts a Tensorlake follow: exactly N events, then an error (no eof), and the follower is released', async () => {
      const box = tensorlake();
      // One write of 200 lines: the cut falls inside the frames of one read.
      const proc = await box.sh("printf 'line-%s\\n' $(seq 1 200)");
      const watch = watchStreamRelease(target.app, 'tensorlake-runtime', 'sandbox_process_output_follow');
      try {
        target.faults.add({ match: { path: '/output/follow$' }, cutAfterFrames: 3, times: 1 });
        const { frames, error } = await framesAndError(await box.follow(proc.pid));
        expect(frames.map((f) => sseEvent(f))).toEqual([1, 2, 3].map((i) => ({ event: 'output', data: { line: `line-${i}`, timestamp: expect.any(Number), stream: 'stdout' } })));
        expect(error).toBeInstanceOf(Error);
        await watch.released;
      } finally {
        watch.restore();
      }
      // The next follow is whole again: every line, then eof and a clean end. Read to its end
      // rather than cancelled: through msw, cancelling a body waits on msw's own unread clone
      // of it, so it never completes.
      const again = await framesAndError(await box.follow(proc.pid));
      expect(again.error).toBeUndefined();
      expect(again.frames).toHaveLength(201);
      expect(sseEvent(again.frames[200])).toEqual({ event: 'eof', data: {} });
    });

    it('cutAfterFrames leaves an answer that is not a stream alone', async () => {
      const box = blaxel();
      await box.exec({ command: 'echo whole', name: 'plain', waitForCompletion: true });
      target.faults.add({ cutAfterFrames: 0 });
      expect(await box.info('plain')).toMatchObject({ stdout: 'whole\n' });
    });

    it('times limits a rule to the first N matching requests', async () => {
      const box = blaxel();
      await box.exec({ command: 'true', name: 'flaky', waitForCompletion: true });
      target.faults.add({ match: { operationId: 'getProcess' }, status: 500, times: 2 });
      const statuses = [];
      for (let i = 0; i < 4; i++) statuses.push((await box.get('flaky')).status);
      expect(statuses).toEqual([500, 500, 200, 200]);
    });

    it('operationId matches only that operation, whatever the path looks like', async () => {
      const box = blaxel();
      await box.exec({ command: 'echo x', name: 'target', waitForCompletion: true });
      target.faults.add({ match: { provider: 'blaxel', operationId: 'getProcess' }, status: 502 });
      expect((await box.get('target')).status).toBe(502);
      // Same path prefix, other operations.
      expect((await fetch(`${box.base}/process`)).status).toBe(200);
      expect((await fetch(`${box.base}/process/target/logs`)).status).toBe(200);
      // Another provider's "get a process" is another operation.
      const tl = tensorlake();
      const proc = await tl.sh('true');
      expect(await tl.info(proc.pid)).toMatchObject({ pid: proc.pid });
    });
  });

  describe(`workload faults, ${transport.name}`, () => {
    const LOOP = 'i=0; while :; do i=$((i+1)); echo line-$i; sleep 0.05; done';

    it('Blaxel: a process killed with SIGKILL while followed ends its logs stream cleanly, and is failed with exit code -1', async () => {
      const box = blaxel();
      const p = await box.exec({ command: LOOP, name: 'victim' });
      const stream = await box.logsStream('victim');
      await stream.until((f) => f === 'stdout:line-3');
      process.kill(Number(p.pid), 'SIGKILL');
      const { frames, error } = await framesAndError(stream);
      // The server just closes the stream: no banner (nobody asked it to stop), no error.
      expect(error).toBeUndefined();
      for (const frame of frames) expect(frame).toMatch(/^stdout:line-\d+$/);
      expect(await box.info('victim')).toMatchObject({ status: 'failed', exitCode: -1 });
    });

    it('Tensorlake: a process killed with SIGKILL while followed ends its follow with eof, and is signaled with signal 9', async () => {
      const box = tensorlake();
      const proc = await box.sh(LOOP);
      const follow = await box.follow(proc.pid);
      await follow.until((f) => sseEvent(f).data?.line === 'line-3');
      process.kill(proc.pid, 'SIGKILL');
      const { frames, error } = await framesAndError(follow);
      expect(error).toBeUndefined();
      const events = frames.map((f) => sseEvent(f));
      expect(events.at(-1)).toEqual({ event: 'eof', data: {} });
      for (const e of events.slice(0, -1)) expect(e.data.line).toMatch(/^line-\d+$/);
      expect(await box.info(proc.pid)).toMatchObject({ status: 'signaled', signal: 9, exit_code: null });
    });

    const PARTIAL = "printf 'par'; sleep 0.2; printf 'tial\\n'; sleep 0.1; printf 'last-no-newline'";

    it('Blaxel: output written in partial lines comes back as whole lines, nothing lost', async () => {
      const box = blaxel();
      await box.exec({ command: PARTIAL, name: 'partial' });
      const { frames, error } = await framesAndError(await box.logsStream('partial'));
      expect(error).toBeUndefined();
      expect(frames).toEqual(['stdout:partial', 'stdout:last-no-newline']);
      expect(await box.info('partial')).toMatchObject({ status: 'completed', stdout: 'partial\nlast-no-newline' });
    });

    it('Tensorlake: output written in partial lines comes back as one event per line, nothing lost', async () => {
      const box = tensorlake();
      const proc = await box.sh(PARTIAL);
      const { frames, error } = await framesAndError(await box.follow(proc.pid));
      expect(error).toBeUndefined();
      expect(frames.map((f) => sseEvent(f).data?.line ?? sseEvent(f).event)).toEqual(['partial', 'last-no-newline', 'eof']);
      expect(await box.lines(proc.pid)).toEqual(['partial', 'last-no-newline']);
    });

    // \377 and \376 are not UTF-8: the text-based APIs show U+FFFD for each; NUL is a character.
    const BINARY = "printf '\\377\\376\\000abc\\n'; echo after";
    const DECODED = '\uFFFD\uFFFD\u0000abc';

    it('Blaxel: binary output does not break the stream or the JSON', async () => {
      const box = blaxel();
      await box.exec({ command: BINARY, name: 'binary' });
      const { frames, error } = await framesAndError(await box.logsStream('binary'));
      expect(error).toBeUndefined();
      expect(frames).toEqual([`stdout:${DECODED}`, 'stdout:after']);
      // info() parses the JSON: it stays valid.
      expect(await box.info('binary')).toMatchObject({ status: 'completed', stdout: `${DECODED}\nafter\n` });
    });

    it('Tensorlake: binary output does not break the follow or the JSON', async () => {
      const box = tensorlake();
      const proc = await box.sh(BINARY);
      const { frames, error } = await framesAndError(await box.follow(proc.pid));
      expect(error).toBeUndefined();
      // sseEvent parses each data line as JSON: every frame stays valid.
      expect(frames.map((f) => sseEvent(f).data?.line ?? sseEvent(f).event)).toEqual([DECODED, 'after', 'eof']);
      expect(await box.lines(proc.pid)).toEqual([DECODED, 'after']);
      expect(await box.info(proc.pid)).toMatchObject({ status: 'exited', exit_code: 0 });
    });
  });
}
