import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startTensorlake, type TensorlakeTarget } from '../../test-support/tensorlake-kit.ts';

// `observed` fidelity: the old daemon's departures from the document, each a named quirk. The
// answers still validate against the document (the quirks chosen are the ones it allows).

let tl: TensorlakeTarget;
beforeAll(async () => {
  tl = await startTensorlake({ fidelity: 'observed' });
});
afterAll(async () => {
  await tl.emulator.close();
});
afterEach(() => {
  expect(tl.emulator.app.violations).toEqual([]);
});

describe('tensorlake observed quirks', () => {
  it('kill-exited-process-500: killing an exited process answers 500 `Process N is not running`', async () => {
    const box = tl.sandbox();
    const proc = await box.start({ command: 'true' });
    await box.waitForEnd(proc.pid);
    const response = await box.fetch(`/api/v1/processes/${proc.pid}`, { method: 'DELETE' });
    expect(response.status).toBe(500);
    expect(await response.json()).toEqual({ error: `Process ${proc.pid} is not running` });
  });

  it('output-stdout-then-stderr: /output lists stdout lines first, then stderr lines', async () => {
    const box = tl.sandbox();
    const proc = await box.sh('echo a; sleep 0.1; echo b >&2; sleep 0.1; echo c');
    await box.waitForEnd(proc.pid);
    expect(await box.lines(proc.pid, 'output')).toEqual(['a', 'c', 'b']);
  });

  it('captured-output-unknown-pid-200-empty: an unknown pid has an empty output', async () => {
    const box = tl.sandbox();
    for (const which of ['stdout', 'stderr', 'output']) {
      const response = await box.fetch(`/api/v1/processes/424242/${which}`);
      expect(response.status).toBe(200);
      expect(await response.json()).toEqual({ pid: 424242, lines: [], line_count: 0 });
    }
    // Get still answers 404: the quirk is the log-file read only.
    expect((await box.fetch('/api/v1/processes/424242')).status).toBe(404);
  });

  it('follow-replay-timestamp-zero: replayed lines carry timestamp 0, live lines the capture time', async () => {
    const box = tl.sandbox();
    const proc = await box.sh('echo before; read x; echo after', { stdin_mode: 'pipe' });
    const first = await box.follow(proc.pid, 'output');
    expect((await first.nextEvent())?.json.line).toBe('before');
    await first.cancel();

    const follow = await box.follow(proc.pid, 'output');
    expect((await follow.nextEvent())?.json).toEqual({ line: 'before', timestamp: 0, stream: 'stdout' });
    await box.fetch(`/api/v1/processes/${proc.pid}/stdin/close`, { method: 'POST' });
    const live = await follow.nextEvent();
    expect(live?.json).toMatchObject({ line: 'after', stream: 'stdout' });
    expect(live!.json.timestamp).toBeGreaterThan(0);
    expect(await follow.rest()).toEqual([expect.objectContaining({ event: 'eof' })]);
  });

  it('follow-unknown-pid-200-eof: a follow of an unknown pid is an immediate eof', async () => {
    const box = tl.sandbox();
    const follow = await box.follow(424242, 'stdout');
    expect([follow.status, follow.contentType]).toEqual([200, 'text/event-stream']);
    expect(await follow.rest()).toEqual([{ event: 'eof', data: '{}', json: {} }]);
  });
});

describe('tensorlake quirks one by one', () => {
  it('turns on only the quirk named, in spec fidelity', async () => {
    const one = await startTensorlake({ quirks: ['kill-exited-process-500'] });
    try {
      const box = one.sandbox();
      const proc = await box.start({ command: 'true' });
      await box.waitForEnd(proc.pid);
      expect((await box.fetch(`/api/v1/processes/${proc.pid}`, { method: 'DELETE' })).status).toBe(500);
      expect((await box.fetch('/api/v1/processes/424242/output')).status).toBe(404);
      expect(one.emulator.app.violations).toEqual([]);
    } finally {
      await one.emulator.close();
    }
  });
});
