import { mkdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { ActivitySink } from './activity.ts';
import type { ManagedProcess } from './managed-process.ts';
import { ProcessSupervisor, type SupervisorOptions } from './process-supervisor.ts';

/** A sandbox: an id, a working directory of its own, an environment, and its processes. */
export interface Sandbox<Data = Record<string, unknown>> {
  id: string;
  /** Absolute path of the sandbox's own working directory. */
  dir: string;
  /** Environment every process of the sandbox starts with (before the request's own env). */
  env: Record<string, string>;
  createdAt: number;
  processes: ProcessSupervisor;
  /**
   * Aborts when the sandbox is deleted or the emulator closes: what lives as long as the
   * sandbox (a watch stream) ends with it.
   */
  ended: AbortSignal;
  /** Provider-specific state (a Blaxel control-plane record, an AgentBox pool, ...). */
  data: Data;
}

export interface SandboxRegistryOptions {
  /** Directory under which each sandbox gets its folder; made by `createTempRoot`. */
  root: string;
  /**
   * Most sandboxes of this provider at once; a create beyond it is refused with
   * TooManySandboxesError. Default: 1000. Blaxel and Tensorlake make a sandbox on the first
   * request that names it, so without a bound a loop of GETs would make folders without end.
   */
  maxSandboxes?: number;
  supervisor?: SupervisorOptions;
  now?: () => number;
  /** Where sandboxes made and removed, and processes started and ended, are told. */
  activity?: ActivitySink;
}

export class TooManySandboxesError extends Error {
  constructor(
    readonly id: string,
    readonly limit: number,
  ) {
    super(`Failed to create sandbox '${id}': ${limit} sandboxes exist already. Delete some, or raise the limit (maxSandboxes).`);
    this.name = 'TooManySandboxesError';
  }
}

export const DEFAULT_MAX_SANDBOXES = 1000;

/** The sandboxes of one provider. Ids are whatever the provider uses; folders are made safe. */
export class SandboxRegistry<Data = Record<string, unknown>> {
  private readonly sandboxes = new Map<string, Sandbox<Data>>();
  private readonly pending = new Map<string, Promise<Sandbox<Data>>>();
  private readonly endings = new WeakMap<Sandbox<Data>, AbortController>();
  private counter = 0;
  private readonly now: () => number;

  constructor(private readonly options: SandboxRegistryOptions) {
    this.now = options.now ?? Date.now;
  }

  get(id: string): Sandbox<Data> | undefined {
    return this.sandboxes.get(id);
  }

  list(): Sandbox<Data>[] {
    return [...this.sandboxes.values()];
  }

  async create(id: string, data: Data, env: Record<string, string> = {}): Promise<Sandbox<Data>> {
    if (this.sandboxes.has(id) || this.pending.has(id)) throw new Error(`Failed to create sandbox: '${id}' already exists.`);
    const limit = this.options.maxSandboxes ?? DEFAULT_MAX_SANDBOXES;
    if (this.sandboxes.size + this.pending.size >= limit) throw new TooManySandboxesError(id, limit);
    const made = this.make(id, data, env);
    this.pending.set(id, made);
    try {
      const sandbox = await made;
      this.sandboxes.set(id, sandbox);
      this.tell({ type: 'sandbox-created', sandboxId: id, createdAt: sandbox.createdAt });
      return sandbox;
    } finally {
      this.pending.delete(id);
    }
  }

  /** The sandbox with this id, made on first use (Blaxel's sandbox API has no create call). */
  async getOrCreate(id: string, data: () => Data): Promise<Sandbox<Data>> {
    const existing = this.sandboxes.get(id);
    if (existing) return existing;
    const inFlight = this.pending.get(id);
    if (inFlight) return inFlight;
    return this.create(id, data());
  }

  /** Ends the sandbox's processes and removes its folder. False when the id is unknown. */
  async delete(id: string): Promise<boolean> {
    const sandbox = this.sandboxes.get(id);
    if (!sandbox) return false;
    this.sandboxes.delete(id);
    this.endings.get(sandbox)?.abort();
    await sandbox.processes.close();
    await removeFolder(sandbox.dir);
    this.tell({ type: 'sandbox-deleted', sandboxId: id });
    return true;
  }

  /** Ends every process of every sandbox. The folders go with the emulator's temp root. */
  async close(): Promise<void> {
    await Promise.all([...this.pending.values()].map((p) => p.catch(() => undefined)));
    for (const sandbox of this.list()) this.endings.get(sandbox)?.abort();
    await Promise.all(this.list().map((s) => s.processes.close()));
    for (const id of this.sandboxes.keys()) this.tell({ type: 'sandbox-deleted', sandboxId: id });
    this.sandboxes.clear();
  }

  private tell(event: { type: 'sandbox-created'; sandboxId: string; createdAt: number } | { type: 'sandbox-deleted'; sandboxId: string }): void {
    const sink = this.options.activity;
    if (sink) sink.feed.emit({ ...event, provider: sink.provider });
  }

  private started(sandboxId: string, proc: ManagedProcess): void {
    const sink = this.options.activity;
    if (!sink) return;
    sink.feed.emit({ type: 'process-started', provider: sink.provider, sandboxId, process: proc });
    void proc.done.then(() => sink.feed.emit({ type: 'process-ended', provider: sink.provider, sandboxId, process: proc }));
  }

  private async make(id: string, data: Data, env: Record<string, string>): Promise<Sandbox<Data>> {
    // Ids come from URLs: never let one name a folder outside the root.
    const safe = id.replace(/[^A-Za-z0-9._-]/g, '_').replace(/^\.+/, '_').slice(0, 64);
    const dir = join(this.options.root, `${++this.counter}-${safe}`);
    await mkdir(dir, { recursive: true });
    const ending = new AbortController();
    const sandbox: Sandbox<Data> = {
      id,
      dir,
      env: { ...baseEnvironment(dir), ...env },
      createdAt: this.now(),
      processes: new ProcessSupervisor({ ...this.options.supervisor, now: this.now, onStarted: (proc) => this.started(id, proc) }),
      ended: ending.signal,
      data,
    };
    this.endings.set(sandbox, ending);
    return sandbox;
  }
}

/**
 * A small, predictable environment instead of the emulator's own: the emulator may hold
 * credentials (BL_API_KEY, TENSORLAKE_API_KEY, ...) that untrusted commands must not see.
 */
function baseEnvironment(dir: string): Record<string, string> {
  return {
    PATH: process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin',
    HOME: dir,
    LANG: 'C.UTF-8',
    TERM: 'dumb',
  };
}

/**
 * Removes a deleted sandbox's folder. A file request still in flight (an upload, a mkdir -p)
 * can add entries while rm walks the tree, which makes its last rmdir fail with ENOTEMPTY:
 * the folder is moved aside first so nothing new lands in it by its old name, and rm retries.
 * What still cannot go is left for the temp root's removal at close; the delete has happened.
 */
async function removeFolder(dir: string): Promise<void> {
  const aside = `${dir}.deleted`;
  const target = await rename(dir, aside).then(
    () => aside,
    () => dir,
  );
  await rm(target, { recursive: true, force: true, maxRetries: 5, retryDelay: 20 }).catch(() => undefined);
}
