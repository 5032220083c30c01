import type { StdinLimits } from '../../core/managed-process.ts';
import type { Sandbox, SandboxRegistry } from '../../core/sandbox-registry.ts';
import type { HandlerContext } from '../../kernel/exchange.ts';
import type { ProcessEntry } from './process-entry.ts';
import type { BlaxelQuirk } from './quirks.ts';
import { newSandboxRecord, type SandboxRecord } from './sandbox-record.ts';

export interface BlaxelSandboxData {
  /** The control plane's view of the sandbox. */
  record: SandboxRecord;
  /** Every process started, oldest first; finished ones are never pruned (as on the server). */
  processes: ProcessEntry[];
  /** Names being started right now, so two concurrent starts cannot both take a name. */
  starting: Set<string>;
}

export type BlaxelSandbox = Sandbox<BlaxelSandboxData>;

/** What every Blaxel handler shares. */
export interface BlaxelContext {
  /** One registry for both mounts: a sandbox made by first use is listed by the control plane. */
  registry: SandboxRegistry<BlaxelSandboxData>;
  quirk: (name: BlaxelQuirk) => boolean;
  /** Bytes kept per stream; also the tail GET /logs and waitForCompletion answer. */
  capBytes: number;
  stopGraceMs: number;
  stdinLimits?: StdinLimits;
  /** Largest file the file API writes (default the core's 1 GiB, see SandboxFiles). */
  maxFileBytes?: number;
  now: () => number;
}

export function newSandboxData(record: SandboxRecord): BlaxelSandboxData {
  return { record, processes: [], starting: new Set() };
}

/** The sandbox named in the path; like the real edge, any name is served from its first use. */
export function sandboxFor(bx: BlaxelContext, ctx: HandlerContext): Promise<BlaxelSandbox> {
  const name = ctx.vars.sandbox;
  if (!name) throw new Error('Failed to find the sandbox: the mount prefix has no sandbox name. Serve blaxel-sandbox under /blaxel/sandboxes/:sandbox.');
  return bx.registry.getOrCreate(name, () =>
    newSandboxData(
      newSandboxRecord({ name, url: ctx.urlFor('blaxel-sandbox', { sandbox: name }), workspace: ctx.vars.workspace ?? ctx.headers['x-blaxel-workspace'], now: bx.now() }),
    ),
  );
}
