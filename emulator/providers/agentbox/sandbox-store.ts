import { randomAlphanumeric, uuidv7 } from '../../core/ids.ts';
import type { ManagedProcess } from '../../core/managed-process.ts';
import type { ActivitySink } from '../../core/activity.ts';
import { SandboxRegistry, type Sandbox } from '../../core/sandbox-registry.ts';
import type { AgentBoxPool } from '../provider.ts';
import { mainContainerIndex } from './pools.ts';
import { NAMESPACE } from './reply.ts';

/** One container of a sandbox: its command, run as `sh -c`, with its own output log. */
export interface ContainerRun {
  name: string;
  command: string;
  process: ManagedProcess;
}

export interface ClaimRequest {
  metadata?: Record<string, string>;
  idleTimeoutSeconds?: number;
  containerImages?: Record<string, string>;
}

/** What the server knows of a sandbox, live or (after release) from its history store. */
export interface SandboxRecord {
  id: string;
  namespace: string;
  poolName: string;
  podName: string;
  claimedAt: number;
  metadata?: Record<string, string>;
  idleTimeoutSeconds?: number;
  containerImages?: Record<string, string>;
  /** In the pool's order. */
  containers: ContainerRun[];
  /** The sandbox's own container, whose end decides the sandbox's status. */
  main: ContainerRun;
  sandbox: Sandbox<{ poolName: string }>;
  /** When DeleteSandbox was accepted; a released sandbox is only found in the history. */
  releasedAt?: number;
  /** True when the main container had already ended when the release came: the outcome stays. */
  endedBeforeRelease?: boolean;
}

export interface SandboxStoreOptions {
  root: string;
  capBytes: number;
  graceMs: number;
  maxProcesses?: number;
  maxSandboxes?: number;
  maxFinishedProcesses?: number;
  now: () => number;
  activity?: ActivitySink;
}

/** Raised when a container of a pool cannot be started; the claim is undone. */
export class ClaimError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ClaimError';
  }
}

/**
 * The sandboxes of the AgentBox provider: live ones run their pool's containers as real
 * processes in their own folder; released ones stay readable, as the server's history store
 * keeps them, until the emulator is reset.
 */
export class SandboxStore {
  private readonly registry: SandboxRegistry<{ poolName: string }>;
  private readonly records = new Map<string, SandboxRecord>();
  private readonly releases = new Set<Promise<void>>();

  constructor(private readonly options: SandboxStoreOptions) {
    this.registry = new SandboxRegistry({
      root: options.root,
      now: options.now,
      maxSandboxes: options.maxSandboxes,
      supervisor: { maxRunning: options.maxProcesses, maxFinished: options.maxFinishedProcesses },
      activity: options.activity,
    });
  }

  /** The live sandboxes, with their containers' processes. */
  sandboxes(): Sandbox[] {
    return this.registry.list();
  }

  /** Starts every container of the pool and records the sandbox. */
  async claim(pool: AgentBoxPool, request: ClaimRequest): Promise<SandboxRecord> {
    const now = this.options.now;
    const claimedAt = now();
    const id = uuidv7(claimedAt);
    // Kubernetes' generateName suffix: five lower-case alphanumerics.
    const podName = `${pool.name}-${randomAlphanumeric(5)}`;
    // A pod's hostname is its name; commands that print it see the pod they run in.
    const sandbox = await this.registry.create(id, { poolName: pool.name }, { HOSTNAME: podName });
    const containers: ContainerRun[] = [];
    try {
      for (const container of pool.containers) {
        const process = await sandbox.processes.start({
          argv: ['sh', '-c', container.command],
          command: container.command,
          args: [],
          cwd: sandbox.dir,
          env: sandbox.env,
          // A pod's containers have no stdin unless asked for: reads see end of file.
          stdin: 'closed',
          name: container.name,
          capBytes: this.options.capBytes,
        });
        containers.push({ name: container.name, command: container.command, process });
      }
    } catch (error) {
      await this.registry.delete(id);
      throw new ClaimError(`failed to claim sandbox pod: container start failed: ${(error as Error).message}`);
    }
    const main = containers[mainContainerIndex(pool)];
    const record: SandboxRecord = {
      id,
      namespace: NAMESPACE,
      poolName: pool.name,
      podName,
      claimedAt,
      metadata: request.metadata,
      idleTimeoutSeconds: request.idleTimeoutSeconds,
      containerImages: request.containerImages,
      containers,
      main,
      sandbox,
    };
    // Like native sidecars: once the sandbox's own container has ended, the others are stopped,
    // so a finished sandbox holds no running process and its log streams end.
    void main.process.done.then(() => {
      for (const c of containers) if (c !== main && c.process.running) c.process.stop(this.options.graceMs);
    });
    this.records.set(id, record);
    return record;
  }

  /** A sandbox, live or released (the history store answers for the latter). */
  get(id: string): SandboxRecord | undefined {
    return this.records.get(id);
  }

  /** A sandbox whose pod still exists (not released). */
  live(id: string): SandboxRecord | undefined {
    const record = this.records.get(id);
    return record && record.releasedAt === undefined ? record : undefined;
  }

  list(): SandboxRecord[] {
    return [...this.records.values()];
  }

  /**
   * Releases a live sandbox: SIGTERM to every process group of it (containers and execs), SIGKILL
   * after the grace, then its folder goes. Answers at once, as the server does (202).
   */
  release(record: SandboxRecord): 'Stopping' | 'Terminated' {
    record.releasedAt = this.options.now();
    record.endedBeforeRelease = !record.main.process.running;
    const running = record.sandbox.processes.running();
    for (const p of running) p.stop(this.options.graceMs);
    const done = Promise.all(running.map((p) => p.done))
      .then(() => this.registry.delete(record.id))
      .then(
        () => undefined,
        () => undefined,
      );
    this.releases.add(done);
    void done.finally(() => this.releases.delete(done));
    return running.length > 0 ? 'Stopping' : 'Terminated';
  }

  /** Ends every process and forgets every sandbox, history included. */
  async reset(): Promise<void> {
    await this.registry.close();
    await Promise.all([...this.releases]);
    this.records.clear();
  }

  /** Ends every process the provider started. */
  async close(): Promise<void> {
    await this.registry.close();
    await Promise.all([...this.releases]);
  }
}
