import type { StdinLimits } from '../../core/managed-process.ts';
import type { Sandbox, SandboxRegistry } from '../../core/sandbox-registry.ts';
import type { Pool } from './pool-handlers.ts';
import type { QuirkCheck } from './quirks.ts';
import type { TerminatedSandboxes } from './terminated-sandboxes.ts';

/** What the lifecycle API knows about a sandbox, beyond the core's id, folder and processes. */
export interface TensorlakeSandboxData {
  namespace: string;
  name: string | null;
  image: string | null;
  resources: { cpus: number; memory_mb: number; ephemeral_disk_mb: number };
  timeout_secs: number | null;
  entrypoint: string[] | null;
  /** The pool it was claimed from, if any. */
  pool_id?: string;
}

export type TensorlakeSandbox = Sandbox<TensorlakeSandboxData>;

/** Shared by the runtime and lifecycle handlers: one registry, so both APIs see the same sandboxes. */
export interface TensorlakeState {
  registry: SandboxRegistry<TensorlakeSandboxData>;
  /** Deleted sandboxes, still answered by the lifecycle API's get as terminated. */
  terminated: TerminatedSandboxes;
  /** Sandbox pools by id (see pool-handlers). */
  pools: Map<string, Pool>;
  quirk: QuirkCheck;
  /** Bytes of output kept per stream and process. */
  capBytes: number;
  /** Idle time after which a follow stream sends an SSE comment, so proxies keep it open. */
  keepAliveMs: number;
  stdinLimits?: StdinLimits;
  /** Largest file the file API writes (default DEFAULT_MAX_FILE_BYTES, 1 GiB). */
  maxFileBytes?: number;
}

/**
 * The namespace the SDKs use when `INDEXIFY_NAMESPACE` is not set; sandboxes that come into
 * being through the runtime API (an SDK connected with only a proxy URL) are listed there.
 */
export const DEFAULT_NAMESPACE = 'default';

/** Resources reported when a create names none: those of the SDK's own minimal example. */
export const DEFAULT_RESOURCES = { cpus: 1, memory_mb: 1024, ephemeral_disk_mb: 0 } as const;

export function defaultSandboxData(namespace = DEFAULT_NAMESPACE): TensorlakeSandboxData {
  return { namespace, name: null, image: null, resources: { ...DEFAULT_RESOURCES }, timeout_secs: null, entrypoint: null };
}

/**
 * The sandbox a runtime request addresses, made on first use: the SDKs can reach the runtime
 * API with only a proxy URL, without ever calling the lifecycle API.
 */
export function runtimeSandbox(state: TensorlakeState, vars: Record<string, string>): Promise<TensorlakeSandbox> {
  const id = vars.sandbox;
  if (!id) throw new Error('Failed to find the sandbox: the mount gave no sandbox id. Reach the runtime API under /tensorlake/sandboxes/<id>.');
  return state.registry.getOrCreate(id, () => defaultSandboxData());
}
