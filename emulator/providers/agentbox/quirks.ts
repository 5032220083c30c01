import { quirkSwitch, type ProviderOptions } from '../provider.ts';

/**
 * The x-observed quirks of specs/agentbox.yaml that the emulator reproduces. `spec` fidelity
 * answers as the document says; `observed` turns all of them on; `--quirk name` turns one on.
 */
export const AGENTBOX_QUIRKS = [
  /** GetSandboxLogs: `truncated` is false even when `lines` or the cap cut the log. */
  'logs-truncated-always-false',
  /** GetSandboxLogs: `capturedAt` is never filled in. */
  'logs-captured-at-absent',
  /** StreamSandboxLogs: an unknown or released sandbox gets only the meta line, no error line. */
  'logs-stream-unknown-id-meta-only',
  /** ListSandboxes: a `limit` above 100 is lowered to 100 (the document allows 1000). */
  'list-limit-clamped-to-100',
  /** ExecSandboxCommand: `timeoutSeconds` <= 0 becomes 30 and > 300 becomes 300, never a 400. */
  'exec-timeout-clamped',
  /** GetSandboxLogs: `lines` outside 0..10000 is not refused (negative means everything). */
  'logs-lines-bounds-not-enforced',
] as const;

export type AgentBoxQuirk = (typeof AGENTBOX_QUIRKS)[number];
export type QuirkCheck = (name: AgentBoxQuirk) => boolean;

export function agentBoxQuirks(options: Pick<ProviderOptions, 'fidelity' | 'quirks'>): QuirkCheck {
  return quirkSwitch(options, AGENTBOX_QUIRKS);
}
