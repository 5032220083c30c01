import { afterEach, describe, expect, it } from 'vitest';
import { tmpdir } from 'node:os';
import { ManagedProcess, SpawnError, type StartSpec } from './managed-process.ts';
import { ProcessSupervisor } from './process-supervisor.ts';
import { alive } from '../test-support/process-alive.ts';

const started: ManagedProcess[] = [];
afterEach(async () => {
  await Promise.all(started.splice(0).map((p) => p.terminate()));
});

function shell(command: string, extra: Partial<StartSpec> = {}): StartSpec {
  return {
    argv: ['sh', '-c', command],
    command,
    args: [],
    cwd: tmpdir(),
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin' },
    stdin: 'closed',
    capBytes: 1 << 20,
    ...extra,
  };
}

async function start(spec: StartSpec, handle = 1): Promise<ManagedProcess> {
  const proc = await ManagedProcess.start(handle, spec);
  started.push(proc);
  return proc;
}

describe('ManagedProcess', () => {
  it('captures stdout and stderr separately and reports the exit code once the output is drained', async () => {
    const proc = await start(shell('echo out; echo err >&2; exit 3'));
    const info = await proc.done;
    expect(info).toMatchObject({ exitCode: 3, signal: null });
    expect(String(proc.output.bytes('stdout'))).toBe('out\n');
    expect(String(proc.output.bytes('stderr'))).toBe('err\n');
    expect(proc.running).toBe(false);
  });

  it('runs in the working directory and environment it was given', async () => {
    const proc = await start(shell('pwd; echo "$GREETING"', { env: { PATH: process.env.PATH!, GREETING: 'hi' }, cwd: '/' }));
    await proc.done;
    expect(String(proc.output.bytes('stdout'))).toBe('/\nhi\n');
  });

  it('writes to stdin and delivers EOF on close', async () => {
    const proc = await start(shell('cat', { stdin: 'pipe' }));
    expect(proc.stdinWritable).toBe(true);
    await proc.writeStdin(Buffer.from('ping\n'));
    proc.closeStdin();
    await proc.done;
    expect(String(proc.output.bytes('stdout'))).toBe('ping\n');
    expect(proc.stdinWritable).toBe(false);
  });

  it('kills the whole process group, not only the leader', async () => {
    const proc = await start(shell('sleep 30 & echo $!; wait'));
    const first = await proc.output.follow({ streams: ['stdout'] }).next();
    const grandchild = Number(String(first.value!.data).trim());
    expect(alive(grandchild)).toBe(true);
    proc.kill();
    const info = await proc.done;
    expect(info.signal).toBe('SIGKILL');
    expect(alive(grandchild)).toBe(false);
  });

  it('escalates a stop to SIGKILL when the process ignores SIGTERM', async () => {
    const proc = await start(shell("trap '' TERM; echo ready; while :; do sleep 0.05; done"));
    await proc.output.follow().next();
    proc.stop(200);
    const info = await proc.done;
    expect(info.signal).toBe('SIGKILL');
    expect(proc.requested).toBe('stop');
  });

  it('rejects with SpawnError when the program does not exist', async () => {
    await expect(ManagedProcess.start(1, { ...shell(''), argv: ['/nonexistent/program'] })).rejects.toBeInstanceOf(SpawnError);
  });

  it('wait() resolves false on timeout and true at the end', async () => {
    const proc = await start(shell('read x', { stdin: 'pipe' }));
    expect(await proc.wait(20)).toBe(false);
    proc.closeStdin();
    expect(await proc.wait(10_000)).toBe(true);
  });
});

describe('ProcessSupervisor', () => {
  it('resolves a reused name to its newest holder and refuses starts beyond the limit', async () => {
    const sup = new ProcessSupervisor({ maxRunning: 1 });
    try {
      const a = await sup.start({ ...shell('exit 0'), name: 'job' });
      await a.done;
      const b = await sup.start({ ...shell('sleep 30'), name: 'job' });
      expect(sup.byName('job')).toBe(b);
      expect(sup.byPid(a.pid)).toBe(a);
      await expect(sup.start(shell('true'))).rejects.toThrow(/already running/);
    } finally {
      await sup.close();
    }
    expect(sup.running()).toHaveLength(0);
  });
});
