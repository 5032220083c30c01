import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { alive, eventually } from '../test-support/process-alive.ts';
import { ManagedProcess, SpawnError } from './managed-process.ts';

const spawnServer = fileURLToPath(new URL('./spawn-server.ts', import.meta.url));

function parentOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
}

const spec = (argv: [string, ...string[]], stdin: 'pipe' | 'closed' = 'closed') => ({
  argv,
  command: argv[0],
  args: argv.slice(1),
  cwd: process.cwd(),
  env: { PATH: process.env.PATH ?? '/usr/bin:/bin' },
  stdin,
  capBytes: 1 << 20,
});

describe('processes started through the spawn helper', () => {
  it('are the helper’s children, not this process’s, with their stdio piped straight here', async () => {
    const proc = await ManagedProcess.start(1, spec(['sh', '-c', 'cat; echo err >&2; exit 4'], 'pipe'));
    // The fork happened in the helper: a small process, so it blocked nobody's event loop.
    expect(parentOf(proc.pid)).not.toBe(process.pid);
    await proc.writeStdin(Buffer.from('through stdin\n'));
    proc.closeStdin();
    const exit = await proc.done;
    expect(exit.exitCode).toBe(4);
    expect(Buffer.concat(proc.output.chunks({ streams: ['stdout'] }).map((c) => c.data)).toString()).toBe('through stdin\n');
    expect(Buffer.concat(proc.output.chunks({ streams: ['stderr'] }).map((c) => c.data)).toString()).toBe('err\n');
  });

  it('get exactly the environment asked for, though only its difference travels to the helper', async () => {
    process.env.SPAWN_SERVER_TEST_INHERITED = 'from the emulator';
    const proc = await ManagedProcess.start(5, { ...spec(['/usr/bin/env']), env: { PATH: '/bin', ONLY: 'this', NODE_OPTIONS: '--x' } });
    await proc.done;
    const lines = Buffer.concat(proc.output.chunks({ streams: ['stdout'] }).map((c) => c.data)).toString().trim().split('\n').sort();
    expect(lines).toEqual(['NODE_OPTIONS=--x', 'ONLY=this', 'PATH=/bin']);
    delete process.env.SPAWN_SERVER_TEST_INHERITED;
  });

  it('lose no byte written before the emulator holds the pipes', async () => {
    // 1 MiB at once, from the first instant: more than a socket buffer, written before the
    // helper has handed the pipes over.
    const proc = await ManagedProcess.start(2, spec(['sh', '-c', 'head -c 1048576 /dev/zero']));
    await proc.done;
    expect(proc.output.chunks({ streams: ['stdout'] }).reduce((n, c) => n + c.data.length, 0)).toBe(1 << 20);
  });

  it('report a program that cannot start as a SpawnError with the errno code', async () => {
    await expect(ManagedProcess.start(3, spec(['/no/such/program']))).rejects.toMatchObject({ name: 'SpawnError', code: 'ENOENT' });
    await expect(ManagedProcess.start(4, spec(['sh', '-c', 'true\0']))).rejects.toBeInstanceOf(SpawnError);
  });

  it('stopSpawnServer waits until the helper is gone, even when nothing else keeps the process alive', async () => {
    // An idle helper does not hold its parent's event loop; stop() must hold it until the exit.
    const script = `
      const { ManagedProcess } = await import(${JSON.stringify(fileURLToPath(new URL('./managed-process.ts', import.meta.url)))});
      const { stopSpawnServer } = await import(${JSON.stringify(spawnServer)});
      const { readFileSync } = await import('node:fs');
      const p = await ManagedProcess.start(1, { argv: ['sleep', '0.2'], command: 'sleep', args: [], cwd: process.cwd(), env: { PATH: process.env.PATH }, stdin: 'closed', capBytes: 1024 });
      const stat = readFileSync('/proc/' + p.pid + '/stat', 'utf8');
      const helper = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      await p.done;
      await stopSpawnServer();
      let gone = true;
      try { const s = readFileSync('/proc/' + helper + '/stat', 'utf8'); gone = s.slice(s.lastIndexOf(')') + 2)[0] === 'Z'; } catch {}
      process.stdout.write(JSON.stringify({ helper, gone }) + '\\n');
    `;
    const owner = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    owner.stdout!.on('data', (c: Buffer) => (out += c));
    await once(owner, 'close');
    const report = JSON.parse(out.trim()) as { helper: number; gone: boolean };
    expect(report.helper).not.toBe(owner.pid);
    expect(report.gone).toBe(true);
  });

  it('end when the process that asked for them is SIGKILLed: the helper kills their groups', async () => {
    // A process of its own that starts `sleep` through the helper, prints its pid, and is then
    // killed with no chance to clean up.
    const script = `
      const { ManagedProcess } = await import(${JSON.stringify(fileURLToPath(new URL('./managed-process.ts', import.meta.url)))});
      await import(${JSON.stringify(spawnServer)});
      const p = await ManagedProcess.start(1, { argv: ['sh', '-c', 'sleep 401 & exec sleep 402'], command: 'sh', args: [], cwd: process.cwd(), env: { PATH: process.env.PATH }, stdin: 'closed', capBytes: 1024 });
      process.stdout.write(p.pid + '\\n');
      setInterval(() => {}, 1000);
    `;
    const owner = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    const [line] = (await once(owner.stdout!, 'data')) as [Buffer];
    const pid = Number(line.toString().trim());
    expect(alive(pid)).toBe(true);
    const groupMembers = () => {
      try {
        process.kill(-pid, 0);
        return true;
      } catch {
        return false;
      }
    };
    expect(groupMembers()).toBe(true);
    owner.kill('SIGKILL');
    await once(owner, 'exit');
    // Reaped by nobody we can wait on: the kernel's word that the pids are gone is all there is.
    await eventually(() => !alive(pid) && !groupMembers(), 'the group of the SIGKILLed owner to end');
  });
});
