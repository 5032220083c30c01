import type { Sandbox, SandboxRegistry } from '../../core/sandbox-registry.ts';
import type { FileMetadataStore } from './file-metadata.ts';
import { pauseProcesses, resumeProcesses } from './pause.ts';

/** What the E2B API knows of a sandbox beyond the core's id, folder and processes. */
export interface E2bSandboxData {
  templateID: string;
  metadata: Record<string, string>;
  startedAt: number;
  /** When the sandbox ends by itself: its timeout from creation or from the last timeout call. */
  endAt: number;
  /** Ends it at `endAt`; replaced by every timeout change. */
  timer?: NodeJS.Timeout;
  /** Tags given to processes at Start, for Connect and the others by tag. */
  tags: Map<string, number>;
  /** A secure sandbox's token, which envd wants on every request (envd-access.ts); none otherwise. */
  envdAccessToken?: string;
  /** Paused: its processes stopped, no timeout, envd unreachable until a connect resumes it. */
  paused?: boolean;
  /**
   * What its timeout does (the SDK's `lifecycle`): kill it, or pause it, with or without its
   * memory; and whether envd traffic to it paused resumes it, for `resumeSeconds`.
   */
  lifecycle: { onTimeout: 'kill' | 'pause'; keepMemory: boolean; autoResume: boolean; resumeSeconds: number };
  /** The user metadata uploads put on its files (file-metadata.ts). */
  fileMetadata: FileMetadataStore;
}

export type E2bSandbox = Sandbox<E2bSandboxData>;

export interface E2bState {
  registry: SandboxRegistry<E2bSandboxData>;
  capBytes: number;
  now: () => number;
  /** Where the PTYs' sizes are kept (envd-pty.ts), in the emulator's own folder. */
  ptyDir: string;
}

/**
 * The envd version the emulator says it runs. The SDK turns features on by it: stdin and
 * closeStdin (0.3.0, 0.5.2), raw uploads (0.5.7), file metadata (0.6.2), watch events with
 * their entry (0.6.3) and watches on network mounts (0.6.4), all of which are served here.
 */
export const ENVD_VERSION = '0.6.4';
/** E2B's default sandbox lifetime when create names none, in seconds (its document's default). */
export const DEFAULT_TIMEOUT_SECONDS = 15;
/** The owner every sandbox is listed under: there is one user here. */
export const CLIENT_ID = 'sandbox-emulator';

/** Sets when the sandbox ends by itself, `seconds` from now (0: now). */
export function scheduleEnd(state: E2bState, sandbox: E2bSandbox, seconds: number): void {
  if (sandbox.data.timer) clearTimeout(sandbox.data.timer);
  // The documents bound it to int32 seconds (68 years); a date stays a date whatever comes.
  seconds = Math.min(Math.max(0, seconds), 2 ** 31 - 1);
  sandbox.data.endAt = state.now() + seconds * 1000;
  // Node's timers hold at most 2^31-1 ms (24.8 days); a longer life is that long.
  const { onTimeout, keepMemory } = sandbox.data.lifecycle;
  const end = () => (onTimeout === 'pause' ? pauseProcesses(sandbox, keepMemory) : state.registry.delete(sandbox.id));
  const timer = setTimeout(() => void end(), Math.min(seconds * 1000, 2 ** 31 - 1));
  timer.unref();
  sandbox.data.timer = timer;
}

/** Resumes a paused sandbox: its processes go on, and it lives `seconds` from now. */
export function resumeSandbox(state: E2bState, sandbox: E2bSandbox, seconds: number): void {
  resumeProcesses(sandbox);
  scheduleEnd(state, sandbox, seconds);
}
