import type { ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { constants as osConstants } from 'node:os';
import { OutputLog } from './output-log.ts';
import { groupEnded } from './process-group.ts';
import { endTree } from './process-tree.ts';
import { spawnChild, type RemoteChild } from './spawn-server.ts';

/** What to run, already translated from a provider's request. */
export interface StartSpec {
  /** Program and arguments exactly as executed: a shell command arrives as ['sh', '-c', cmd]. */
  argv: [string, ...string[]];
  /** The command and arguments as the provider reports them back. */
  command: string;
  args: string[];
  cwd: string;
  env: Record<string, string>;
  /** 'pipe' keeps stdin open for writes; 'closed' gives the process an immediate EOF. */
  stdin: 'pipe' | 'closed';
  /** A stream that is not captured goes to /dev/null (Tensorlake's `discard` mode). */
  capture?: { stdout: boolean; stderr: boolean };
  name?: string;
  /** Per-stream bytes kept in memory; see OutputLog. */
  capBytes: number;
  /**
   * The tag in the process's environment that its descendants inherit (process-tree.ts): a kill
   * ends those that left the process group too. Set by ProcessSupervisor.
   */
  tree?: string;
}

export interface ExitInfo {
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  endedAt: number;
}

export interface StdinLimits {
  /** Bytes of stdin waiting in the emulator for the process to read, at most. */
  maxBufferedBytes: number;
  /** How long a write may wait for the process to read before it fails. */
  stallMs: number;
}

/**
 * 4 MiB waiting (over the kernel's 64 KiB pipe), 10 s without a read: far above what an
 * interactive program or a piped file needs, and a bound on what a process that never reads
 * costs.
 */
export const DEFAULT_STDIN_LIMITS: StdinLimits = { maxBufferedBytes: 4 * 1024 * 1024, stallMs: 10_000 };

/** A stdin write the process did not read in time; providers turn it into their own error. */
export class StdinFullError extends Error {
  constructor(readonly limits: StdinLimits) {
    super(`stdin is full: the process read none of the ${limits.maxBufferedBytes} bytes waiting for it in ${limits.stallMs} ms`);
    this.name = 'StdinFullError';
  }
}

/** Resolves with `promise`, or rejects once `ms` have passed first. */
function waitOrStall(promise: Promise<void>, ms: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('stalled')), ms);
    timer.unref();
    promise.then(
      () => {
        clearTimeout(timer);
        resolve();
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error);
      },
    );
  });
}

/** Raised when the operating system refuses to start the program (ENOENT, EACCES, ...). */
export class SpawnError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'SpawnError';
  }
}

/**
 * After the program exits, how long its pipes may stay open before the emulator stops waiting.
 * A command that leaves a background child holding stdout would otherwise never "end".
 */
const PIPE_DRAIN_MS = 2_000;

/** A real child process in its own process group, with its output captured as it happens. */
export class ManagedProcess {
  readonly pid: number;
  readonly startedAt: number;
  readonly output: OutputLog;
  /** Set when a client asked the process to end, so providers can report stopped/killed. */
  requested: 'stop' | 'kill' | 'signal' | null = null;
  private exit: ExitInfo | null = null;
  private stdinOpen: boolean;
  private escalation: NodeJS.Timeout | null = null;
  /** Seen empty after the leader ended: its id may name another group now (see killGroup). */
  private groupGone = false;
  private readonly ended: Promise<ExitInfo>;
  /** Settles when the last stdin write queued so far is done: the next one waits for it. */
  private stdinTurn: Promise<void> = Promise.resolve();

  private constructor(
    readonly handle: number,
    readonly spec: StartSpec,
    private readonly child: ChildProcess | RemoteChild,
    private readonly now: () => number,
  ) {
    this.pid = child.pid!;
    this.startedAt = now();
    this.output = new OutputLog({ capBytes: spec.capBytes, now });
    this.stdinOpen = spec.stdin === 'pipe';
    child.stdout?.on('data', (data: Buffer) => this.output.append('stdout', data));
    child.stderr?.on('data', (data: Buffer) => this.output.append('stderr', data));
    // A write racing the process's exit gets EPIPE; that must not take the emulator down.
    child.stdin?.on('error', () => {
      this.stdinOpen = false;
    });
    this.ended = new Promise<ExitInfo>((resolve) => {
      let exited: { code: number | null; signal: NodeJS.Signals | null } | null = null;
      let drainTimer: NodeJS.Timeout | null = null;
      const finish = () => {
        if (this.exit || !exited) return;
        if (drainTimer) clearTimeout(drainTimer);
        if (this.escalation) clearTimeout(this.escalation);
        // The status flips to "ended" only once the pipes are drained, so a client that sees
        // the end can read every byte the process wrote.
        this.exit = { exitCode: exited.code, signal: exited.signal, endedAt: this.now() };
        this.stdinOpen = false;
        this.output.close();
        resolve(this.exit);
      };
      child.once('exit', (code, signal) => {
        exited = { code, signal };
        // Asked to end, the leader has: what it left outside its group goes too, or a child
        // that kept its pipes would keep the process "running" past the kill.
        if (this.requested === 'stop' || this.requested === 'kill') this.endTree();
        drainTimer = setTimeout(() => {
          child.stdout?.destroy();
          child.stderr?.destroy();
          finish();
        }, PIPE_DRAIN_MS);
        drainTimer.unref();
      });
      child.once('close', () => finish());
    });
  }

  /** Spawns the program and resolves once the OS has started it (or rejects with SpawnError). */
  static start(handle: number, spec: StartSpec, now: () => number = Date.now): Promise<ManagedProcess> {
    const capture = spec.capture ?? { stdout: true, stderr: true };
    let child: ChildProcess | RemoteChild;
    try {
      // In a new process group (detached), so stop/kill reach its whole tree; spawned by the
      // spawn helper, so the fork does not block this process (see spawn-server.ts).
      child = spawnChild(spec.argv[0], spec.argv.slice(1), {
        cwd: spec.cwd,
        env: spec.env,
        stdio: [spec.stdin === 'pipe' ? 'pipe' : 'ignore', capture.stdout ? 'pipe' : 'ignore', capture.stderr ? 'pipe' : 'ignore'],
      });
    } catch (error) {
      // Some refusals are thrown at once instead of emitted: a NUL byte in an argument or the
      // environment, an argument list too long (E2BIG). They are start failures all the same.
      const e = error as NodeJS.ErrnoException;
      return Promise.reject(new SpawnError(e.code ?? 'EINVAL', e.message));
    }
    return new Promise((resolve, reject) => {
      child.once('error', (error: NodeJS.ErrnoException) => {
        reject(new SpawnError(error.code ?? 'EUNKNOWN', error.message));
      });
      child.once('spawn', () => resolve(new ManagedProcess(handle, spec, child, now)));
    });
  }

  get name(): string | undefined {
    return this.spec.name;
  }

  get running(): boolean {
    return this.exit === null;
  }

  /** Exit code, signal and end time once the process has ended and its output is drained. */
  get exitInfo(): ExitInfo | null {
    return this.exit;
  }

  get stdinWritable(): boolean {
    return this.stdinOpen && this.running;
  }

  /** Resolves when the process has ended and its output is drained. */
  get done(): Promise<ExitInfo> {
    return this.ended;
  }

  /** Waits for the end; resolves false if `timeoutMs` passes first. */
  async wait(timeoutMs?: number): Promise<boolean> {
    if (!this.running) return true;
    if (timeoutMs === undefined) {
      await this.ended;
      return true;
    }
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<false>((resolve) => {
      timer = setTimeout(() => resolve(false), timeoutMs);
    });
    try {
      return await Promise.race([this.ended.then(() => true as const), timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * Queues bytes for the process's stdin and resolves once they are queued (not read): at most
   * `maxBufferedBytes` wait in the emulator at once, the rest follows as the process reads. A
   * process that reads nothing for `stallMs` fails the write with StdinFullError, the bytes not
   * yet queued are let go; without the bound, stdin posted to a process that never reads was
   * held in memory, and the request open, until the process ended. Writes go one after another,
   * so the bytes of two requests never interleave.
   */
  writeStdin(data: Buffer, limits: StdinLimits = DEFAULT_STDIN_LIMITS): Promise<void> {
    if (!this.stdinWritable || !this.child.stdin) return Promise.reject(new Error('stdin is not writable'));
    const previous = this.stdinTurn;
    const mine = waitOrStall(previous, limits.stallMs).then(
      () => this.feedStdin(data, limits),
      () => {
        throw new StdinFullError(limits);
      },
    );
    this.stdinTurn = mine.catch(() => undefined);
    return mine;
  }

  private async feedStdin(data: Buffer, limits: StdinLimits): Promise<void> {
    const stdin = this.child.stdin!;
    let offset = 0;
    while (offset < data.length) {
      if (!this.stdinWritable) throw new Error('stdin is not writable');
      const room = limits.maxBufferedBytes - stdin.writableLength;
      if (room <= 0) {
        const drained = new Promise<void>((resolve) => {
          const done = () => {
            stdin.off('drain', done);
            stdin.off('close', done);
            resolve();
          };
          stdin.on('drain', done);
          stdin.on('close', done);
        });
        try {
          await waitOrStall(drained, limits.stallMs);
        } catch {
          throw new StdinFullError(limits);
        }
        continue;
      }
      const chunk = data.subarray(offset, offset + room);
      stdin.write(chunk);
      offset += chunk.length;
    }
  }

  closeStdin(): void {
    if (this.child.stdin && this.stdinOpen) this.child.stdin.end();
    this.stdinOpen = false;
  }

  /**
   * Sends a signal to the whole process group. Returns false when nothing received it
   * (the group is gone).
   */
  signal(signal: NodeJS.Signals | number): boolean {
    try {
      process.kill(-this.pid, signal);
      return true;
    } catch {
      try {
        // The group may be gone while the leader is a zombie not yet reaped; try it directly.
        process.kill(this.pid, signal);
        return true;
      } catch {
        return false;
      }
    }
  }

  /** SIGTERM to the group, then SIGKILL once `graceMs` has passed if it is still running. */
  stop(graceMs: number): boolean {
    this.requested = 'stop';
    const sent = this.signal('SIGTERM');
    if (this.running && !this.escalation) {
      this.escalation = setTimeout(() => {
        if (this.running) {
          this.signal('SIGKILL');
          this.endTree();
        }
      }, graceMs);
      this.escalation.unref();
    }
    return sent;
  }

  /**
   * SIGKILL to what is left of the group once the leader has ended (background children), only
   * while the group is known to be this process's (see killGroup).
   */
  killLeftovers(): boolean {
    if (this.running) return this.kill();
    const grouped = this.killGroup();
    return this.endTree() > 0 || grouped;
  }

  /**
   * SIGKILL to the group. While a member lives the group id is reserved for it, so it names no
   * one else; once the leader is reaped and the group is empty, the kernel may hand the pid, and
   * with it the group id, to a stranger. So after the leader's end nothing is sent once the group
   * was seen empty, or once a process holds the leader's pid (the kernel gives out no pid still
   * in use as a group id, so ours ended before that one started).
   */
  private killGroup(): boolean {
    if (!this.running && (this.groupGone || existsSync(`/proc/${this.pid}`))) {
      this.groupGone = true;
      return false;
    }
    try {
      process.kill(-this.pid, 'SIGKILL');
      return true;
    } catch {
      if (!this.running) this.groupGone = true;
      return false;
    }
  }

  /** SIGKILL to the whole group, and to every descendant that left it. */
  kill(): boolean {
    this.requested = 'kill';
    const sent = this.signal('SIGKILL');
    return this.endTree() > 0 || sent;
  }

  /** SIGKILL to every descendant, in the group or not (see process-tree.ts). */
  private endTree(): number {
    return this.spec.tree ? endTree(this.spec.tree) : 0;
  }

  /**
   * Ends every process of the group, even after the leader has exited (a background child may
   * still hold the group). Used on close, so it never throws.
   */
  async terminate(): Promise<void> {
    this.killGroup();
    this.endTree();
    await this.ended;
    // The leader's exit is an event; a background child that outlived it gives none.
    if (!this.groupGone) await groupEnded(this.pid);
  }
}

/** The number of a signal name, e.g. SIGTERM -> 15. */
export function signalNumber(signal: NodeJS.Signals | null): number | null {
  if (!signal) return null;
  return (osConstants.signals as Record<string, number>)[signal] ?? null;
}

/** The name of a signal number, e.g. 15 -> SIGTERM; undefined when unknown. */
export function signalName(num: number): NodeJS.Signals | undefined {
  for (const [name, value] of Object.entries(osConstants.signals)) {
    if (value === num) return name as NodeJS.Signals;
  }
  return undefined;
}
