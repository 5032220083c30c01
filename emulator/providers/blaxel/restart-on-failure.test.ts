import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { restartBanner } from './process-entry.ts';
import { eventually, pidGone, startBlaxel, TextStream, type BlaxelTarget, type SandboxClient } from '../../test-support/blaxel-kit.ts';

// restartOnFailure acted on for real: each run is a new child (its own pid), started again
// after the server's 1 s pause, so these tests take a second per restart.

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
  box = target.sandbox(`restart-${++n}`);
});

afterEach(() => {
  expect(target.emulator.app.violations).toEqual([]);
});

/** Appends a line per run to runs.txt in the sandbox, prints its own pid, then fails. */
const FAILING = 'echo run >> runs.txt; echo "pid $$"; echo oops >&2; exit 1';

async function runsRecorded(): Promise<number> {
  const count = await box.exec({ command: 'cat runs.txt | wc -l', waitForCompletion: true });
  return Number(count.stdout.trim());
}

describe('restartOnFailure', () => {
  it('runs a failing command again maxRestarts times, as new processes, and answers the final record', async () => {
    const done = await box.exec({ command: FAILING, name: 'flaky', restartOnFailure: true, maxRestarts: 3, waitForCompletion: true });
    expect(done).toMatchObject({ status: 'failed', exitCode: 1, restartOnFailure: true, maxRestarts: 3, restartCount: 3 });
    expect(await runsRecorded()).toBe(4);
    // Four real runs, each its own child.
    const pids = [...done.stdout.matchAll(/^pid (\d+)$/gm)].map((m) => m[1]);
    expect(pids).toHaveLength(4);
    expect(new Set(pids).size).toBe(4);
    // One log across the runs, a banner on stdout before each restart; stderr has no banner.
    const banners = [1, 2, 3].map((k) => restartBanner(1, k, 3));
    expect(done.stdout).toBe(pids.map((pid) => `pid ${pid}\n`).reduce((text, line, i) => text + (i > 0 ? banners[i - 1] : '') + line, ''));
    expect(done.stderr).toBe('oops\noops\noops\noops\n');
    expect(banners[0]).toBe('\n[Process failed with exit code 1. Attempting restart 1/3...]\n');
    // The record keeps the first run's pid.
    const byName = await box.get('flaky');
    expect(byName.pid).toBe(done.pid);
    expect(byName.restartCount).toBe(3);
    const logs = await (await box.fetch(`/process/${done.pid}/logs`)).json();
    expect(logs.stdout).toBe(done.stdout);
  });

  it('stops restarting once a run succeeds: completed, with the count of restarts it took', async () => {
    const command = 'if [ -f marker ]; then echo second; exit 0; fi; touch marker; echo first; exit 2';
    const done = await box.exec({ command, restartOnFailure: true, maxRestarts: 5, waitForCompletion: true });
    expect(done).toMatchObject({ status: 'completed', exitCode: 0, restartCount: 1 });
    expect(done.stdout).toBe(`first\n${restartBanner(2, 1, 5)}second\n`);
  });

  it('shows the new run between restarts: running again, startedAt reset, completedAt cleared', async () => {
    const command = 'echo run >> runs.txt; if [ "$(wc -l < runs.txt)" -ge 2 ]; then read line; fi; exit 1';
    const started = await box.exec({ command, name: 'second-waits', restartOnFailure: true, maxRestarts: 1, stdin: true });
    await eventually(async () => (await box.get(started.pid)).restartCount === 1 && (await box.get(started.pid)).status === 'running', 'the restarted run');
    const during = await box.get(started.pid);
    expect(during).toMatchObject({ pid: started.pid, status: 'running', exitCode: 0, completedAt: '', restartCount: 1 });
    expect(Date.parse(during.startedAt)).toBeGreaterThanOrEqual(Date.parse(started.startedAt));
    // The restarted run is the one stdin now reaches.
    expect((await box.fetch(`/process/${started.pid}/stdin`, { method: 'POST', headers: { 'content-type': 'application/octet-stream' }, body: 'go\n' })).status).toBe(200);
    const done = await box.waitEnded(started.pid);
    expect(done).toMatchObject({ status: 'failed', exitCode: 1, restartCount: 1 });
  });

  it('never restarts with maxRestarts 0, nor without restartOnFailure', async () => {
    const zero = await box.exec({ command: FAILING, restartOnFailure: true, maxRestarts: 0, waitForCompletion: true });
    expect(zero).toMatchObject({ status: 'failed', restartCount: 0 });
    const off = await box.exec({ command: FAILING, restartOnFailure: false, maxRestarts: 3, waitForCompletion: true });
    expect(off).toMatchObject({ status: 'failed', restartCount: 0 });
    expect(await runsRecorded()).toBe(2);
  });

  it('restarts without limit for a negative maxRestarts, until a kill: a killed run is not restarted', async () => {
    // The third run waits; it is the one killed.
    const command = 'echo run >> runs.txt; [ "$(wc -l < runs.txt)" -ge 3 ] && exec sleep 60; exit 1';
    const started = await box.exec({ command, name: 'forever', restartOnFailure: true, maxRestarts: -1 });
    const stream = new TextStream(await box.fetch(`/process/${started.pid}/logs/stream`));
    await stream.until((text) => text.includes('Attempting restart 2/unlimited...]'));
    await eventually(async () => (await runsRecorded()) === 3, 'the third run');
    const sleeping = await box.get('forever');
    expect(sleeping).toMatchObject({ status: 'running', restartCount: 2 });
    expect((await box.fetch('/process/forever/kill', { method: 'DELETE' })).status).toBe(200);
    const done = await box.waitEnded(started.pid);
    expect(done).toMatchObject({ status: 'killed', restartCount: 2 });
    // The log stream followed every run and ended with the last.
    const text = await stream.rest();
    expect(text).toContain('stdout:[Process failed with exit code 1. Attempting restart 1/unlimited...]');
    expect(text).toContain('stdout:[Process failed with exit code 1. Attempting restart 2/unlimited...]');
    expect(await runsRecorded()).toBe(3);
  });

  it('a stopped run is not restarted either', async () => {
    const started = await box.exec({ command: 'echo run >> runs.txt; exec sleep 60', restartOnFailure: true, maxRestarts: 3 });
    await eventually(async () => (await runsRecorded()) === 1, 'the first run');
    expect((await box.fetch(`/process/${started.pid}`, { method: 'DELETE' })).status).toBe(200);
    const done = await box.waitEnded(started.pid);
    expect(done).toMatchObject({ status: 'stopped', restartCount: 0 });
    expect(pidGone(started.pid)).toBe(true);
  });

  it('streaming exec follows every run and sends the final record as its result', async () => {
    const response = await box.post({ command: FAILING, restartOnFailure: true, maxRestarts: 1, waitForCompletion: true }, { accept: 'text/event-stream' });
    expect(response.headers.get('content-type')).toBe('application/x-ndjson');
    const frames = (await response.text()).trim().split('\n').map((line) => JSON.parse(line) as { type: string; data?: string });
    const stdout = frames.filter((f) => f.type === 'stdout').map((f) => f.data).join('');
    expect(stdout).toMatch(/^pid \d+\n\n\[Process failed with exit code 1\. Attempting restart 1\/1\.\.\.\]\npid \d+\n$/);
    const result = JSON.parse(frames.at(-1)!.data!);
    expect(frames.at(-1)!.type).toBe('result');
    expect(result).toMatchObject({ status: 'failed', restartCount: 1 });
  });
});
