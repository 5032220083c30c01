import { ManagedProcess, type StartSpec } from './managed-process.ts';
import { endTree, newSandboxTree, processTree, TREE_VARIABLE } from './process-tree.ts';

export interface SupervisorOptions {
  /**
   * Most processes alive at once in this supervisor. A start beyond it is refused with
   * TooManyProcessesError, which providers turn into their own error. Default: 1024, far above
   * what a test or an agent needs, and low enough that a runaway loop cannot exhaust the host.
   */
  maxRunning?: number;
  /**
   * Finished processes kept listed and readable; past it the oldest finished one is forgotten
   * (its output with it), as if it had never run. Default: 1000. Each keeps up to the output
   * cap per stream, so an agent that runs commands in a loop must not keep every one forever.
   */
  maxFinished?: number;
  now?: () => number;
  /** The sandbox's tag (see process-tree.ts); a new one by default. */
  tree?: string;
  /** Told of every process once it has started (the sandbox's registry passes it on). */
  onStarted?: (proc: ManagedProcess) => void;
}

export const DEFAULT_MAX_FINISHED = 1000;

export class TooManyProcessesError extends Error {
  constructor(readonly limit: number) {
    super(`Failed to start process: ${limit} processes are already running. Wait for some to end or raise the limit.`);
    this.name = 'TooManyProcessesError';
  }
}

/**
 * The processes of one sandbox. Finished processes stay listed and readable (every provider
 * keeps them), the newest `maxFinished` of them, until the sandbox is closed.
 */
export class ProcessSupervisor {
  private readonly processes: ManagedProcess[] = [];
  private nextHandle = 1;
  private readonly maxRunning: number;
  private readonly maxFinished: number;
  private readonly forgetHooks = new Map<ManagedProcess, () => void>();
  private readonly now: () => number;
  private closing = false;
  /** Every descendant of this sandbox's processes carries this prefix in its environment. */
  readonly tree: string;
  private started = 0;
  private readonly onStarted?: (proc: ManagedProcess) => void;

  /** Starts in flight: counted against the limit, and waited for by close(). */
  private readonly starting = new Set<Promise<ManagedProcess>>();

  constructor(options: SupervisorOptions = {}) {
    this.maxRunning = options.maxRunning ?? 1024;
    this.maxFinished = options.maxFinished ?? DEFAULT_MAX_FINISHED;
    this.now = options.now ?? Date.now;
    this.tree = options.tree ?? newSandboxTree();
    this.onStarted = options.onStarted;
  }

  async start(spec: StartSpec): Promise<ManagedProcess> {
    if (this.closing) throw new Error('Failed to start process: the sandbox is closing.');
    // Starts still in flight count: the spawn is asynchronous, and a burst of requests would
    // otherwise all pass the check before any of them is running.
    if (this.running().length + this.starting.size >= this.maxRunning) throw new TooManyProcessesError(this.maxRunning);
    const handle = this.nextHandle++;
    const tree = processTree(this.tree, handle);
    this.started++;
    const starting = ManagedProcess.start(handle, { ...spec, tree, env: { ...spec.env, [TREE_VARIABLE]: tree } }, this.now);
    this.starting.add(starting);
    let proc: ManagedProcess;
    try {
      proc = await starting;
    } finally {
      this.starting.delete(starting);
    }
    this.processes.push(proc);
    this.onStarted?.(proc);
    // Closed while it started: it goes with the rest (close() waits for starts in flight).
    if (this.closing) {
      await proc.terminate();
      throw new Error('Failed to start process: the sandbox is closing.');
    }
    this.prune();
    // Pruned when it ends too, so that a sandbox that stops starting processes holds no more
    // finished ones than the bound either.
    void proc.done.then(() => this.prune());
    return proc;
  }

  /**
   * Calls `forget` once the process is pruned, so that a provider's own records of it (Blaxel's
   * process entries) go with it.
   */
  whenForgotten(proc: ManagedProcess, forget: () => void): void {
    this.forgetHooks.set(proc, forget);
  }

  /** Forgets the oldest finished processes beyond `maxFinished`; running ones always stay. */
  private prune(): void {
    let finished = 0;
    for (const p of this.processes) if (!p.running) finished++;
    let excess = finished - this.maxFinished;
    if (excess <= 0) return;
    for (let i = 0; i < this.processes.length && excess > 0; ) {
      if (this.processes[i].running) i++;
      else {
        const [gone] = this.processes.splice(i, 1);
        excess--;
        // A child it left in the background (its group outlives it) ends with it, as it would
        // have when the sandbox closed.
        void gone.terminate();
        const hook = this.forgetHooks.get(gone);
        this.forgetHooks.delete(gone);
        hook?.();
      }
    }
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

  /**
   * Ends every process (SIGKILL to each group) and waits for all of them; then whatever any of
   * them left running outside its group, even from a process already forgotten, as a sandbox's
   * deletion ends everything in it.
   */
  async close(): Promise<void> {
    this.closing = true;
    await Promise.allSettled([...this.starting]);
    await Promise.all(this.processes.map((p) => p.terminate()));
    if (this.started > 0) endTree(this.tree);
  }
}
