import { spawn as spawnDirect, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { Socket } from 'node:net';
import type { Readable, Writable } from 'node:stream';
import { killTree } from './process-tree.ts';

/**
 * Spawning from a small helper process instead of from the emulator.
 *
 * On Linux, Node's spawn() forks the calling process: the kernel copies its page tables, so a
 * spawn blocks the event loop for a time that grows with the caller's memory. The profile of an
 * exec round trip showed 80% of the emulator's busy time in ChildProcess.spawn (about 6 ms each
 * at 120 MB; 2 ms from a bare Node process of 40 MB, 40 ms at 680 MB). A helper that does only
 * this stays small: it spawns each child, hands the child's stdio pipes over its IPC channel
 * (the emulator reads and writes them directly, no bytes pass through the helper) and reports
 * the exit. The emulator's loop never blocks on a fork, so processes started at once no longer
 * queue behind each other's forks.
 *
 * If the emulator dies, even by SIGKILL, the helper sees its channel close and SIGKILLs the
 * process group of every child it started, then every descendant that left its group (found by
 * the tag in its environment, process-tree.ts), before it exits: nothing it started outlives it.
 *
 * SANDBOX_EMULATOR_SPAWN=direct spawns from the emulator itself, as before.
 */

/** The helper, run with `node -e`: plain CommonJS, no dependency, small on purpose. */
const SERVER_SOURCE = String.raw`
'use strict';
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const groups = new Set();
// The emulator's tags begin with its pid (newSandboxTree in process-tree.ts), our parent's; taken now,
// for once it dies we are someone else's child.
const ownTrees = process.ppid + ':';
// killTree of process-tree.ts, from its source text: one function, in both processes.
const killTree = ${killTree.toString()};
const base = { ...process.env };
delete base.NODE_OPTIONS;
if (process.env.SPAWN_SERVER_NODE_OPTIONS !== undefined) base.NODE_OPTIONS = process.env.SPAWN_SERVER_NODE_OPTIONS;
delete base.SPAWN_SERVER_NODE_OPTIONS;
const send = (message, handle) => new Promise((resolve) => process.send(message, handle, {}, resolve));
process.on('message', async (m) => {
  if (m.op !== 'spawn') return;
  let child;
  try {
    // The environment comes as what differs from the helper's own (the emulator's at its start).
    const env = { ...base };
    for (const name of m.unset) delete env[name];
    Object.assign(env, m.set);
    child = spawn(m.file, m.args, { cwd: m.cwd, env, detached: true, stdio: m.stdio });
  } catch (error) {
    await send({ id: m.id, error: { code: error.code || 'EINVAL', message: error.message } });
    return;
  }
  child.once('error', (error) => send({ id: m.id, error: { code: error.code || 'EUNKNOWN', message: error.message } }));
  // Not read here: each pipe is stopped before the loop polls it, so every byte reaches the
  // emulator, which gets the pipes themselves.
  for (const stream of [child.stdin, child.stdout, child.stderr]) if (stream && stream._handle) stream._handle.readStop();
  const ready = new Promise((resolve) => child.once('spawn', resolve)).then(async () => {
    groups.add(child.pid);
    // One message per pipe (a message carries one handle), the pid and 'ready' riding along:
    // each message is a trip through both event loops.
    const pipes = [child.stdin, child.stdout, child.stderr].map((stream, fd) => [fd, stream]).filter(([, stream]) => stream);
    if (pipes.length === 0) await send({ id: m.id, pid: child.pid, ready: true });
    for (const [i, [fd, stream]] of pipes.entries()) await send({ id: m.id, pid: child.pid, fd, ready: i === pipes.length - 1 }, stream);
  });
  // The exit is told after the pipes, whatever the order the events came in.
  child.once('exit', (code, signal) => {
    ready.then(() => {
      groups.delete(child.pid);
      send({ id: m.id, exit: { code, signal } });
    });
  });
});
const end = () => {
  for (const pgid of groups) { try { process.kill(-pgid, 'SIGKILL'); } catch {} }
  killTree(fs, ownTrees);
  process.exit(0);
};
process.on('disconnect', end);
process.on('SIGTERM', end);
`;

interface ServerMessage {
  id: number;
  pid?: number;
  fd?: number;
  ready?: boolean;
  error?: { code: string; message: string };
  exit?: { code: number | null; signal: NodeJS.Signals | null };
}

/**
 * The part of a ChildProcess that ManagedProcess uses, for a child the helper started: the same
 * events ('spawn', 'error', 'exit', 'close') with the same meaning, and its stdio as sockets.
 */
export class RemoteChild extends EventEmitter {
  pid: number | undefined;
  stdin: Writable | null = null;
  stdout: Readable | null = null;
  stderr: Readable | null = null;
  private exited = false;
  private ready = false;
  private closed = false;
  private open = 0;

  /** @internal */
  receive(message: ServerMessage, handle: unknown): void {
    if (message.error) {
      this.emit('error', Object.assign(new Error(message.error.message), { code: message.error.code }));
      return;
    }
    if (message.pid !== undefined) this.pid = message.pid;
    if (message.fd !== undefined && handle instanceof Socket) this.attach(message.fd, handle);
    if (message.ready) {
      this.ready = true;
      this.emit('spawn');
    }
    if (message.exit) {
      this.exited = true;
      this.emit('exit', message.exit.code, message.exit.signal);
      this.closeIfDone();
    }
  }

  private attach(fd: number, socket: Socket): void {
    if (fd === 0) {
      // stdin is written only: nothing is read from it (the child reads its own end).
      socket.pause();
      this.stdin = socket;
    } else if (fd === 1) this.stdout = socket;
    else this.stderr = socket;
    if (fd !== 0) {
      this.open++;
      socket.once('close', () => {
        this.open--;
        this.closeIfDone();
      });
    }
  }

  // 'close' as for a ChildProcess: the child has exited and its output pipes are closed.
  private closeIfDone(): void {
    if (this.exited && this.ready && this.open === 0 && !this.closed) {
      this.closed = true;
      this.stdin?.destroy();
      this.emit('close');
    }
  }
}

class SpawnServer {
  private readonly server: ChildProcess;
  private readonly children = new Map<number, RemoteChild>();
  private nextId = 1;
  /** The environment the helper started with: spawns send only what differs from it. */
  private readonly base: Record<string, string | undefined> = { ...process.env };

  constructor() {
    this.server = spawnDirect(process.execPath, ['-e', SERVER_SOURCE], {
      // No loader or flags of the emulator's own (tsx, --inspect): the helper stays small.
      // Its own environment is the base every spawn's is told against (see envDelta).
      env: { ...process.env, NODE_OPTIONS: '', ...(process.env.NODE_OPTIONS !== undefined && { SPAWN_SERVER_NODE_OPTIONS: process.env.NODE_OPTIONS }) },
      stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
      serialization: 'json',
    });
    this.server.on('message', (message: ServerMessage, handle: unknown) => {
      const child = this.children.get(message.id);
      if (!child) return;
      if (message.exit || message.error) this.children.delete(message.id);
      child.receive(message, handle);
      this.refWhileBusy();
    });
    this.server.once('exit', () => {
      if (shared === this) shared = undefined;
      // Whatever was in flight cannot be answered any more: as if the OS had refused it.
      for (const [id, child] of this.children) {
        this.children.delete(id);
        if (child.pid === undefined) child.emit('error', Object.assign(new Error('the spawn helper ended'), { code: 'EAGAIN' }));
        else child.receive({ id, exit: { code: null, signal: 'SIGKILL' } }, undefined);
      }
    });
    this.refWhileBusy();
  }

  /** Ends the helper (it SIGKILLs what it started that still runs) and waits for its exit. */
  stop(): Promise<void> {
    if (this.server.exitCode !== null || this.server.signalCode !== null) return Promise.resolve();
    const exited = new Promise<void>((resolve) => this.server.once('exit', () => resolve()));
    // Held while we wait: unreferenced (as it is when idle), the helper would let this process
    // end before its exit arrived, leaving it to die a moment after us.
    this.server.ref();
    this.server.kill('SIGTERM');
    // One that does not end on SIGTERM in time is killed.
    const timer = setTimeout(() => this.server.kill('SIGKILL'), 2_000);
    return exited.finally(() => clearTimeout(timer));
  }

  /** At this process's exit, however it comes: the helper must not be left behind. */
  endNow(): void {
    if (this.server.exitCode === null && this.server.signalCode === null) this.server.kill('SIGTERM');
  }

  spawn(file: string, args: string[], options: { cwd: string; env: Record<string, string>; stdio: Array<'pipe' | 'ignore'> }): RemoteChild {
    const id = this.nextId++;
    const child = new RemoteChild();
    this.children.set(id, child);
    this.refWhileBusy();
    // The whole environment is kilobytes of JSON per spawn, written through the channel: the
    // profile showed it. What differs from the helper's own is a few names.
    const set: Record<string, string> = {};
    for (const [name, value] of Object.entries(options.env)) if (this.base[name] !== value) set[name] = value;
    const unset = Object.keys(this.base).filter((name) => !(name in options.env));
    this.server.send({ op: 'spawn', id, file, args, cwd: options.cwd, set, unset, stdio: options.stdio });
    return child;
  }

  // The helper keeps the emulator alive only while one of its children runs, as a child of the
  // emulator's own would.
  private refWhileBusy(): void {
    const channel = this.server.channel as { ref(): void; unref(): void } | undefined;
    if (this.children.size > 0) {
      this.server.ref();
      channel?.ref();
    } else {
      this.server.unref();
      channel?.unref();
    }
  }
}

let shared: SpawnServer | undefined;

/**
 * Spawns `file` in a new process group, as spawn(file, args, { detached: true, ... }) would, from
 * the shared helper (started on first use), or from this process with SANDBOX_EMULATOR_SPAWN=direct.
 */
export function spawnChild(file: string, args: string[], options: { cwd: string; env: Record<string, string>; stdio: Array<'pipe' | 'ignore'> }): ChildProcess | RemoteChild {
  if (process.env.SANDBOX_EMULATOR_SPAWN === 'direct') {
    const direct: SpawnOptions = { cwd: options.cwd, env: options.env, detached: true, stdio: options.stdio };
    return spawnDirect(file, args, direct);
  }
  if (!shared) {
    shared = new SpawnServer();
    if (!exitHookSet) {
      exitHookSet = true;
      process.once('exit', () => shared?.endNow());
    }
  }
  return shared.spawn(file, args, options);
}

let exitHookSet = false;

/**
 * Ends the spawn helper and waits until it is gone; the next spawn starts a new one. For a
 * process about to exit (the CLI), so that nothing it started is left when it has.
 */
export async function stopSpawnServer(): Promise<void> {
  const server = shared;
  shared = undefined;
  await server?.stop();
}
