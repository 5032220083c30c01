/**
 * What the lifecycle API still answers for sandboxes it deleted: the SDKs terminate a sandbox
 * and then poll its GET until `status: terminated`, so a 404 there makes their wait throw
 * SandboxNotFoundError. Each record is the SandboxInfo the sandbox last had, turned terminated.
 * At most `max` are kept (default 1000), the oldest forgotten first, so deletes in a loop do not
 * grow the emulator; a forgotten one answers 404, as an unknown id does.
 */
export const DEFAULT_MAX_TERMINATED = 1000;

export interface TerminatedInfo {
  id: string;
  namespace: string;
  name: string | null;
  status: 'terminated';
  terminated_at: number;
  termination_reason: string | null;
  [field: string]: unknown;
}

export class TerminatedSandboxes {
  private readonly records = new Map<string, TerminatedInfo>();

  constructor(private readonly max = DEFAULT_MAX_TERMINATED) {}

  remember(info: TerminatedInfo): void {
    this.records.delete(info.id);
    this.records.set(info.id, info);
    while (this.records.size > this.max) this.records.delete(this.records.keys().next().value!);
  }

  /** By id, or by the name it had (the newest such), within the namespace. */
  find(namespace: string, wanted: string): TerminatedInfo | undefined {
    const byId = this.records.get(wanted);
    if (byId) return byId.namespace === namespace ? byId : undefined;
    return [...this.records.values()].reverse().find((r) => r.namespace === namespace && r.name === wanted);
  }

  clear(): void {
    this.records.clear();
  }
}
