import { afterEach, describe, expect, it } from 'vitest';
import { ManagedProcess } from '../../core/managed-process.ts';
import { ProcessEntry, restartBanner } from './process-entry.ts';

const started: ManagedProcess[] = [];
let handle = 0;

function run(command: string): Promise<ManagedProcess> {
  return ManagedProcess.start(++handle, {
    argv: ['sh', '-c', command],
    command,
    args: [],
    cwd: process.cwd(),
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin' },
    stdin: 'closed',
    capBytes: 1 << 20,
  }).then((proc) => {
    started.push(proc);
    return proc;
  });
}

const settings = { name: 'p', command: 'exit 1', workingDir: '', keepAlive: false, restartOnFailure: true, maxRestarts: -1, stdin: undefined };

afterEach(async () => {
  await Promise.all(started.splice(0).map((p) => p.terminate()));
});

describe('ProcessEntry restarts', () => {
  it('cancelRestarts ends a pause at once: the entry is finished and no run is started', async () => {
    let starts = 0;
    const entry = new ProcessEntry(await run('echo once; exit 1'), settings, {
      startRun: () => {
        starts++;
        return run('exit 1');
      },
      // Far longer than the test may take: only the cancel can end this pause.
      delayMs: 600_000,
      capBytes: 1 << 20,
      now: Date.now,
    });
    for await (const chunk of entry.output.follow()) if (chunk.data.toString().includes('Attempting restart')) break;
    expect(entry.restarting).toBe(true);
    expect(entry.restartCount).toBe(1);
    entry.cancelRestarts();
    await entry.finished;
    expect(starts).toBe(0);
    expect(entry.output.closed).toBe(true);
    expect(entry.output.bytes('stdout').toString()).toBe(`once\n${restartBanner(1, 1, -1)}`);
  });

  it('a restart that cannot start leaves the process failed and finished', async () => {
    const entry = new ProcessEntry(await run('exit 7'), { ...settings, maxRestarts: 2 }, {
      startRun: () => Promise.reject(new Error('the sandbox is closing')),
      delayMs: 0,
      capBytes: 1 << 20,
      now: Date.now,
    });
    await entry.finished;
    expect(entry.restartCount).toBe(1);
    expect(entry.exitInfo).toMatchObject({ exitCode: 7 });
    expect(entry.running).toBe(false);
  });

  it('without restartOnFailure the entry is its one run, output and all', async () => {
    const proc = await run('echo hi; exit 3');
    const entry = new ProcessEntry(proc, { ...settings, restartOnFailure: false }, {
      startRun: () => Promise.reject(new Error('never called')),
      delayMs: 0,
      capBytes: 1 << 20,
      now: Date.now,
    });
    expect(entry.output).toBe(proc.output);
    await entry.finished;
    expect(entry.exitInfo).toMatchObject({ exitCode: 3 });
    expect(entry.restartCount).toBe(0);
  });
});
