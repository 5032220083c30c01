import type { AgentBoxPool } from '../provider.ts';
import type { QuirkCheck } from './quirks.ts';
import type { SandboxStore } from './sandbox-store.ts';

/** What every AgentBox handler works with. */
export interface AgentBoxContext {
  store: SandboxStore;
  pools: Map<string, AgentBoxPool>;
  quirk: QuirkCheck;
  now: () => number;
  /** Per-stream bytes kept for an exec's output. */
  capBytes: number;
}
