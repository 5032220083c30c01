// Descendants that leave their process group (`setsid cmd &`, a daemon's double fork) end with
// their process, their sandbox and the emulator, however the emulator ends: a real sandbox is a
// container, where nothing survives it. Each escapee here is a `sleep` with a number of its own,
// found by its command line, since it is nobody's child we could wait on.

import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ProcessSupervisor } from '../core/process-supervisor.ts';
import { sweepOrphanedTrees, TREE_VARIABLE } from '../core/process-tree.ts';
import { createEmulator, type Emulator } from '../index.ts';
import { startCli as startCliProcess } from '../test-support/cli-process.ts';
import { alive, eventually } from '../test-support/process-alive.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));

let next = 0;
/** A sleep duration no other test uses, so that its command line names one process. */
const uniqueSleep = () => 700_000 + ((process.pid * 1000 + next++) % 200_000);

/** Living processes whose command line is exactly `sleep <seconds>`. */
function sleeping(seconds: number): number[] {
  const found: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/cmdline`, 'utf8') === `sleep\0${seconds}\0` && alive(Number(entry))) found.push(Number(entry));
    } catch {
      // Gone while we looked.
    }
  }
  return found;
}

/** The session of a pid (field 6 of /proc/<pid>/stat). */
function sessionOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[3]);
}

/** Any leftover, if a test fails: SIGKILL by command line. */
const leftovers: number[] = [];
afterEach(() => {
  for (const seconds of leftovers.splice(0)) for (const pid of sleeping(seconds)) process.kill(pid, 'SIGKILL');
});

/** A shell command that leaves one sleep in a session of its own and one in its group. */
function escaping(): { command: string; escapee: number; grouped: number } {
  const escapee = uniqueSleep();
  const grouped = uniqueSleep();
  leftovers.push(escapee, grouped);
  // The escapee's stdio is let go, as a daemon's is: it holds none of the process's pipes.
  return { command: `setsid sleep ${escapee} </dev/null >/dev/null 2>&1 & sleep ${grouped} & echo started`, escapee, grouped };
}

async function runningEscapee(escapee: number): Promise<number> {
  await eventually(() => sleeping(escapee).length === 1, `sleep ${escapee} to start`);
  return sleeping(escapee)[0];
}

describe('a process whose descendant left its group, in core', () => {
  const shell = (command: string) => ({ argv: ['sh', '-c', command] as [string, ...string[]], command, args: [], cwd: root, env: { PATH: process.env.PATH ?? '/usr/bin:/bin' }, stdin: 'closed' as const, capBytes: 1 << 20 });

  it('kill ends the escapee too, though it is in another session', async () => {
    const supervisor = new ProcessSupervisor();
    const { command, escapee, grouped } = escaping();
    const proc = await supervisor.start(shell(command));
    const pid = await runningEscapee(escapee);
    await runningEscapee(grouped);
    // Really escaped: another session than its sibling's (the process's own), so a kill of the
    // process group does not reach it.
    expect(sessionOf(pid)).not.toBe(sessionOf(sleeping(grouped)[0]));
    proc.kill();
    await proc.done;
    await eventually(() => sleeping(escapee).length === 0 && sleeping(grouped).length === 0, 'both sleeps to end');
    await supervisor.close();
  });

  it('closing the sandbox ends an escapee whose process ended long ago', async () => {
    const supervisor = new ProcessSupervisor();
    const escapee = uniqueSleep();
    leftovers.push(escapee);
    const proc = await supervisor.start(shell(`setsid sleep ${escapee} </dev/null >/dev/null 2>&1 & echo started`));
    expect((await proc.done).exitCode).toBe(0);
    await runningEscapee(escapee);
    await supervisor.close();
    await eventually(() => sleeping(escapee).length === 0, `sleep ${escapee} to end`);
  });

  it('a sandbox closing leaves another sandbox’s processes alone', async () => {
    const closing = new ProcessSupervisor();
    const other = new ProcessSupervisor();
    const escapee = uniqueSleep();
    leftovers.push(escapee);
    await other.start(shell(`setsid sleep ${escapee} </dev/null >/dev/null 2>&1 & echo started`));
    const theirs = await runningEscapee(escapee);
    await (await closing.start(shell('true'))).done;
    await closing.close();
    expect(alive(theirs)).toBe(true);
    await other.close();
    await eventually(() => !alive(theirs), 'the other sandbox’s escapee to end at its own close');
  });

  it('at start, an emulator ends what emulators that died left running, and nothing else', async () => {
    // A pid that answers nothing: a process that has ended and been reaped.
    const gone = spawn('true');
    await once(gone, 'exit');
    const orphan = uniqueSleep();
    const ownedByLiving = uniqueSleep();
    leftovers.push(orphan, ownedByLiving);
    const start = (seconds: number, tag: string) =>
      spawn('sleep', [String(seconds)], { detached: true, stdio: 'ignore', env: { PATH: process.env.PATH, [TREE_VARIABLE]: tag } }).unref();
    start(orphan, `${gone.pid}:deadbeef:1:`);
    start(ownedByLiving, `${process.pid}:cafe:1:`);
    await runningEscapee(orphan);
    await runningEscapee(ownedByLiving);
    expect(sweepOrphanedTrees()).toBeGreaterThanOrEqual(1);
    await eventually(() => sleeping(orphan).length === 0, 'the orphan to end');
    expect(sleeping(ownedByLiving)).toHaveLength(1);
  });
});

describe('over HTTP, the providers’ own calls end escapees', () => {
  let emulator: Emulator;
  beforeAll(async () => {
    emulator = await createEmulator({ port: 0, providers: ['blaxel', 'tensorlake'] });
    await emulator.listen();
  });
  afterAll(() => emulator?.close());

  const post = async (url: string, body: unknown) => {
    const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    return { status: response.status, body: (await response.json()) as any };
  };

  it('Blaxel: killing the process', async () => {
    const base = emulator.urls.blaxel.sandbox('escape-kill');
    const { command, escapee, grouped } = escaping();
    expect((await post(`${base}/process`, { command, name: 'escaping' })).status).toBe(200);
    await runningEscapee(escapee);
    const killed = await fetch(`${base}/process/escaping/kill`, { method: 'DELETE' });
    expect(killed.status).toBe(200);
    await eventually(() => sleeping(escapee).length === 0 && sleeping(grouped).length === 0, 'both sleeps to end');
  });

  it('Blaxel: deleting the sandbox, after the process has ended', async () => {
    const name = 'escape-delete';
    const escapee = uniqueSleep();
    leftovers.push(escapee);
    const started = await post(`${emulator.urls.blaxel.sandbox(name)}/process`, { command: `setsid sleep ${escapee} </dev/null >/dev/null 2>&1 & echo started`, waitForCompletion: true });
    expect(started.body.status).toBe('completed');
    await runningEscapee(escapee);
    expect((await fetch(`${emulator.urls.blaxel.control}/sandboxes/${name}`, { method: 'DELETE' })).status).toBe(200);
    await eventually(() => sleeping(escapee).length === 0, `sleep ${escapee} to end`);
  });

  it('Tensorlake: killing a process that has already exited ends what it left', async () => {
    const base = emulator.urls.tensorlake.sandbox('sbx-escape');
    const escapee = uniqueSleep();
    leftovers.push(escapee);
    const started = await post(`${base}/api/v1/processes`, { command: 'sh', args: ['-c', `setsid sleep ${escapee} </dev/null >/dev/null 2>&1 & echo started`] });
    expect(started.status).toBe(201);
    await runningEscapee(escapee);
    const killed = await fetch(`${base}/api/v1/processes/${started.body.pid}`, { method: 'DELETE' });
    expect(killed.status).toBeLessThan(300);
    await eventually(() => sleeping(escapee).length === 0, `sleep ${escapee} to end`);
  });
});

describe('the CLI ending, however it ends', () => {
  const children: ChildProcess[] = [];
  afterAll(() => {
    for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });

  function startCli(): { child: ChildProcess; origin: Promise<string> } {
    const started = startCliProcess(['--providers', 'blaxel']);
    children.push(started.child);
    return started;
  }

  // SIGKILL gives the emulator no chance to clean up: its spawn helper does it.
  it.each(['SIGTERM', 'SIGINT', 'SIGKILL'] as const)('%s: the escapee and its sibling end', async (signal) => {
    const { child, origin: listening } = startCli();
    const origin = await listening;
    const { command, escapee, grouped } = escaping();
    const response = await fetch(`${origin}/blaxel/sandboxes/box/process`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ command }) });
    expect(response.status).toBe(200);
    await runningEscapee(escapee);
    expect(sleeping(grouped)).toHaveLength(1);
    const exited = once(child, 'exit');
    child.kill(signal);
    await exited;
    await eventually(() => sleeping(escapee).length === 0 && sleeping(grouped).length === 0, `both sleeps to end after ${signal}`);
  });
});
