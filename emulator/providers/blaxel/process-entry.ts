import type { ManagedProcess } from '../../core/managed-process.ts';
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

/**
 * One process as the sandbox-api tracks it: the real child plus what the request said, and the
 * control lines (stop/kill banners) that live log readers must see when they happen.
 */
export class ProcessEntry {
  /** Control lines in the order they were issued; readers keep their own index into it. */
  readonly banners: string[] = [];
  private waiters = new Set<() => void>();
  private keepAliveTimer: NodeJS.Timeout | undefined;

  constructor(
    readonly proc: ManagedProcess,
    readonly settings: ProcessSettings,
  ) {
    void proc.done.then(() => clearTimeout(this.keepAliveTimer));
  }

  /** The pid as the API spells it: a decimal string. */
  get pid(): string {
    return String(this.proc.pid);
  }

  get name(): string {
    return this.settings.name;
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

  /** keepAlive's kill timer: the process is SIGKILLed when it expires. */
  killAfter(ms: number, kill: () => void): void {
    clearTimeout(this.keepAliveTimer);
    this.keepAliveTimer = setTimeout(() => {
      if (this.proc.running) kill();
    }, timerDelay(ms));
    this.keepAliveTimer.unref();
  }
}
