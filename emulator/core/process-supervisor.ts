import { ManagedProcess, type StartSpec } from './managed-process.ts';

export interface SupervisorOptions {
  /**
   * Most processes alive at once in this supervisor. A start beyond it is refused with
   * TooManyProcessesError, which providers turn into their own error. Default: 1024, far above
   * what a test or an agent needs, and low enough that a runaway loop cannot exhaust the host.
   */
  maxRunning?: number;
  now?: () => number;
}

export class TooManyProcessesError extends Error {
  constructor(readonly limit: number) {
    super(`Failed to start process: ${limit} processes are already running. Wait for some to end or raise the limit.`);
    this.name = 'TooManyProcessesError';
  }
}

/**
 * The processes of one sandbox. Finished processes stay listed and readable (every provider
 * keeps them), until the sandbox is closed.
 */
export class ProcessSupervisor {
  private readonly processes: ManagedProcess[] = [];
  private nextHandle = 1;
  private readonly maxRunning: number;
  private readonly now: () => number;
  private closing = false;

  constructor(options: SupervisorOptions = {}) {
    this.maxRunning = options.maxRunning ?? 1024;
    this.now = options.now ?? Date.now;
  }

  async start(spec: StartSpec): Promise<ManagedProcess> {
    if (this.closing) throw new Error('Failed to start process: the sandbox is closing.');
    if (this.running().length >= this.maxRunning) throw new TooManyProcessesError(this.maxRunning);
    const proc = await ManagedProcess.start(this.nextHandle++, spec, this.now);
    this.processes.push(proc);
    return proc;
  }

  /** Every process, oldest first. */
  list(): ManagedProcess[] {
    return this.processes.slice();
  }

  running(): ManagedProcess[] {
    return this.processes.filter((p) => p.running);
  }

  byPid(pid: number): ManagedProcess | undefined {
    return this.processes.find((p) => p.pid === pid);
  }

  byHandle(handle: number): ManagedProcess | undefined {
    return this.processes.find((p) => p.handle === handle);
  }

  /** The newest process holding a name: a name can be reused once its holder has ended. */
  byName(name: string): ManagedProcess | undefined {
    for (let i = this.processes.length - 1; i >= 0; i--) {
      if (this.processes[i].name === name) return this.processes[i];
    }
    return undefined;
  }

  /** Ends every process (SIGKILL to each group) and waits for all of them. */
  async close(): Promise<void> {
    this.closing = true;
    await Promise.all(this.processes.map((p) => p.terminate()));
  }
}
