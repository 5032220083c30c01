import type { ExitInfo, ManagedProcess } from '../../core/managed-process.ts';
import { OutputLog } from '../../core/output-log.ts';
import { timerDelay } from '../../core/timer-delay.ts';

/** What POST /process asked for, as the process record echoes it back. */
export interface ProcessSettings {
  name: string;
  command: string;
  /** As requested, after `~` expansion; '' when none was given. */
  workingDir: string;
  keepAlive: boolean;
  restartOnFailure: boolean;
  maxRestarts: number;
  /** Whether the request asked for a stdin pipe; undefined when it did not say. */
  stdin: boolean | undefined;
}

/** How a failed run is started again (restartOnFailure). */
export interface RestartPolicy {
  /** Starts the next run: the same command, environment and folder. */
  startRun: () => Promise<ManagedProcess>;
  /** The pause between a failed run and the next one: the server's 1 s. */
  delayMs: number;
  /** Bytes kept per stream of the output of all runs together. */
  capBytes: number;
  now: () => number;
}

/** The server waits this long before it runs a failed command again. */
export const RESTART_DELAY_MS = 1_000;

/** The line the server appends to stdout before each restart. */
export function restartBanner(exitCode: number, attempt: number, maxRestarts: number): string {
  return `\n[Process failed with exit code ${exitCode}. Attempting restart ${attempt}/${maxRestarts < 0 ? 'unlimited' : maxRestarts}...]\n`;
}

/**
 * One process as the sandbox-api tracks it: the real child plus what the request said, and the
 * control lines (stop/kill banners) that live log readers must see when they happen.
 *
 * With restartOnFailure the entry outlives its first child: a run that fails (a non-zero exit
 * no client asked for) is started again after a pause, up to maxRestarts times (negative: no
 * limit), as the server does. The entry keeps the first run's pid, `proc` is the current run,
 * and `output` holds every run's output in one log with a restart banner on stdout before each
 * new run, so the logs, the record and the streams read as one process.
 */
export class ProcessEntry {
  /** Control lines in the order they were issued; readers keep their own index into it. */
  readonly banners: string[] = [];
  /** The output of every run, in one log; it closes when the last run has ended. */
  readonly output: OutputLog;
  /** Resolves once the process has ended for good: no restart follows, its output is all in. */
  readonly finished: Promise<void>;
  restartCount = 0;
  private readonly runs: ManagedProcess[];
  /** Per run, resolves with the sequence number `output` has reached when the run's output is all in. */
  private readonly runEnds = new Map<ManagedProcess, { promise: Promise<number>; resolve: (seq: number) => void }>();
  /** The current run's end, once its output is all in `output` (null while it runs). */
  private settledExit: ExitInfo | null = null;
  private cancelled = false;
  private pause: { timer: NodeJS.Timeout; wake: () => void } | undefined;
  private waiters = new Set<() => void>();
  private keepAliveTimer: NodeJS.Timeout | undefined;

  constructor(
    first: ManagedProcess,
    readonly settings: ProcessSettings,
    private readonly restart?: RestartPolicy,
  ) {
    this.runs = [first];
    if (restart && settings.restartOnFailure && settings.maxRestarts !== 0) {
      this.output = new OutputLog({ capBytes: restart.capBytes, now: restart.now });
      this.finished = this.supervise(restart);
    } else {
      this.output = first.output;
      this.finished = first.done.then((exit) => {
        this.settledExit = exit;
      });
    }
    void this.finished.then(() => clearTimeout(this.keepAliveTimer));
  }

  /**
   * Resolves when the current run has ended and its output is in `output`, with the sequence
   * number the next chunk (a restart banner, the next run's output) will carry.
   */
  currentRunEnd(): Promise<number> {
    const run = this.proc;
    let end = this.runEnds.get(run);
    if (!end) {
      let resolve!: (seq: number) => void;
      const promise = new Promise<number>((r) => (resolve = r));
      end = { promise, resolve };
      this.runEnds.set(run, end);
      if (this.output === run.output) void this.finished.then(() => resolve(this.output.nextSeq));
    }
    return end.promise;
  }

  /** The current run: the first child, or the one a restart started last. */
  get proc(): ManagedProcess {
    return this.runs[this.runs.length - 1];
  }

  /** The pid as the API spells it: the first run's, kept across restarts (as the server does). */
  get pid(): string {
    return String(this.runs[0].pid);
  }

  get name(): string {
    return this.settings.name;
  }

  /** The current run's end, once its output has all been recorded; null while it runs. */
  get exitInfo(): ExitInfo | null {
    return this.settledExit;
  }

  /** True until the current run has ended and its output is recorded. */
  get running(): boolean {
    return this.settledExit === null;
  }

  /** When the current run started: a restart resets it. */
  get startedAt(): number {
    return this.proc.startedAt;
  }

  /** True while the entry waits between a failed run and its restart. */
  get restarting(): boolean {
    return this.pause !== undefined;
  }

  addBanner(text: string): void {
    this.banners.push(text);
    const waiters = [...this.waiters];
    this.waiters.clear();
    for (const wake of waiters) wake();
  }

  /**
   * Resolves at the next banner. `cancel` drops the waiter, so a reader that stops waiting
   * leaves nothing behind on a process that may live for days.
   */
  nextBanner(): { promise: Promise<void>; cancel: () => void } {
    let wake!: () => void;
    const promise = new Promise<void>((resolve) => {
      wake = resolve;
    });
    this.waiters.add(wake);
    return { promise, cancel: () => this.waiters.delete(wake) };
  }

  /** keepAlive's kill timer: the current run is SIGKILLed when it expires (and not restarted). */
  killAfter(ms: number): void {
    clearTimeout(this.keepAliveTimer);
    this.keepAliveTimer = setTimeout(() => {
      if (!this.running) return;
      this.proc.kill();
    }, timerDelay(ms));
    this.keepAliveTimer.unref();
  }

  /**
   * No more restarts: the sandbox is going away. A pause in progress ends at once, and a run
   * that a restart is starting right now is ended as soon as it has started.
   */
  cancelRestarts(): void {
    this.cancelled = true;
    this.pause?.wake();
  }

  /** Runs, copies each run's output into `output`, and restarts failed runs while allowed. */
  private async supervise(policy: RestartPolicy): Promise<void> {
    try {
      for (;;) {
        const run = this.proc;
        // The copy ends when the run's own log closes, i.e. once the run ended and was drained.
        for await (const chunk of run.output.follow()) this.output.append(chunk.stream, chunk.data);
        const exit = await run.done;
        this.settledExit = exit;
        this.runEnds.get(run)?.resolve(this.output.nextSeq);
        this.runEnds.delete(run);
        const failed = run.requested === null && (exit.signal !== null || exit.exitCode !== 0);
        const { maxRestarts } = this.settings;
        if (!failed || this.cancelled || (maxRestarts >= 0 && this.restartCount >= maxRestarts)) return;
        this.restartCount++;
        const code = exit.signal ? -1 : (exit.exitCode ?? 1);
        this.output.append('stdout', Buffer.from(restartBanner(code, this.restartCount, maxRestarts)));
        await this.wait(policy.delayMs);
        if (this.cancelled) return;
        let next: ManagedProcess;
        try {
          next = await policy.startRun();
        } catch {
          // The folder went away, the sandbox is closing, the limit is reached: the process
          // stays failed, as the server leaves it when a restart cannot start.
          return;
        }
        if (this.cancelled) {
          void next.terminate();
          return;
        }
        this.runs.push(next);
        this.settledExit = null;
      }
    } finally {
      this.output.close();
    }
  }

  private wait(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        this.pause = undefined;
        resolve();
      };
      const timer = setTimeout(wake, timerDelay(ms));
      timer.unref();
      this.pause = { timer, wake };
    });
  }
}
