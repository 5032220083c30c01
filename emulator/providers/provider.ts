import type { Activity } from '../core/activity.ts';
import type { StdinLimits } from '../core/managed-process.ts';
import type { Sandbox } from '../core/sandbox-registry.ts';
import type { Mount } from '../openapi/pipeline.ts';
import type { EmuResponse } from '../kernel/exchange.ts';

export type ProviderName = 'blaxel' | 'tensorlake' | 'agentbox' | 'e2b';
export const PROVIDER_NAMES: readonly ProviderName[] = ['blaxel', 'tensorlake', 'agentbox', 'e2b'];

/**
 * `spec` answers exactly as the documents say; `observed` also reproduces the providers'
 * known departures from their own documents (each a named quirk; see fixtures/).
 */
export type Fidelity = 'spec' | 'observed';

export interface AgentBoxPool {
  name: string;
  /** Named containers; the first (or the one named `sandbox`) is the main one. */
  containers: Array<{ name: string; command: string }>;
}

/** What every provider gets from the emulator that hosts it. */
export interface ProviderOptions {
  /** The emulator's one temporary root; each provider makes its sandboxes below it. */
  root: string;
  /** Folder holding the OpenAPI documents. */
  specsDir: string;
  fidelity: Fidelity;
  /** Quirks turned on by name, on top of what the fidelity turns on. */
  quirks?: readonly string[];
  /** Overrides the provider's own per-stream output limit (bytes kept in memory). */
  outputCapBytes?: number;
  /** Grace between SIGTERM and SIGKILL when a process is stopped. Default: 5 s (see each provider). */
  stopGraceMs?: number;
  /** Most processes running at once per sandbox. */
  maxProcesses?: number;
  /** Most sandboxes at once per provider (see SandboxRegistryOptions.maxSandboxes). */
  maxSandboxes?: number;
  /** Finished processes kept per sandbox (see SupervisorOptions.maxFinished). */
  maxFinishedProcesses?: number;
  /** Bound on stdin waiting for a process to read (see ManagedProcess.writeStdin). */
  stdinLimits?: StdinLimits;
  /** Largest file a file API accepts, in bytes (see SandboxFilesOptions.maxFileBytes; default 1 GiB). */
  maxFileBytes?: number;
  /** AgentBox sandbox pools, beside the default one. */
  pools?: AgentBoxPool[];
  now?: () => number;
  /** Told of sandboxes and processes as they come and go (see core/activity.ts). */
  activity?: Activity;
}

/**
 * A sandbox's own servers, reached through the provider's proxy on a host that names the sandbox
 * and the port. A process here listens on the host itself, so a transport forwards to
 * 127.0.0.1:<port>; the provider says when its proxy would refuse, in its own words.
 */
export interface SandboxPorts {
  /** The proxy's answer when the sandbox does not run (gone, paused); undefined when it does. */
  refusal(sandboxId: string): EmuResponse | undefined;
  /** The proxy's answer when the sandbox runs but nothing listens on the port. */
  closed(sandboxId: string, port: number): EmuResponse;
}

/** A provider: the mounts it serves (each one document surface) and its lifecycle. */
export interface Provider {
  name: ProviderName;
  mounts: Mount[];
  /** The sandboxes it holds now, for watchers that are no provider (the web view). */
  sandboxes(): Sandbox<unknown>[];
  /** How the provider's proxy answers for a port of a sandbox's own server (E2B's `getHost`). */
  sandboxPorts?: SandboxPorts;
  /** Ends every process and forgets every sandbox, keeping the provider usable. */
  reset(): Promise<void>;
  /** Ends every process. */
  close(): Promise<void>;
}

/**
 * Which named quirks are on: all of a provider's known quirks in `observed` fidelity, none in
 * `spec`, plus any named one by one (`--quirk name`).
 */
export function quirkSwitch(options: { fidelity: Fidelity; quirks?: readonly string[] }, known: readonly string[]): (name: string) => boolean {
  const on = new Set(options.fidelity === 'observed' ? known : []);
  for (const name of options.quirks ?? []) on.add(name);
  return (name) => on.has(name);
}
