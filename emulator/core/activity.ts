import type { ManagedProcess } from './managed-process.ts';

/**
 * What happens in the sandboxes, as it happens: sandboxes made and removed, processes started
 * and ended. The registries tell it; watchers that are no provider (the web view) listen. A
 * listener runs synchronously in the emitter's turn, so it must only note the event.
 */
export type ActivityEvent =
  | { type: 'sandbox-created'; provider: string; sandboxId: string; createdAt: number }
  | { type: 'sandbox-deleted'; provider: string; sandboxId: string }
  | { type: 'process-started'; provider: string; sandboxId: string; process: ManagedProcess }
  | { type: 'process-ended'; provider: string; sandboxId: string; process: ManagedProcess };

export class Activity {
  private readonly listeners = new Set<(event: ActivityEvent) => void>();

  /** Calls `listener` with every event from now on; returns what stops it. */
  on(listener: (event: ActivityEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  emit(event: ActivityEvent): void {
    for (const listener of this.listeners) {
      try {
        listener(event);
      } catch {
        // A watcher's fault must not fail a provider's request.
      }
    }
  }
}

/** Where a registry tells its activity: the feed and the provider it speaks for. */
export interface ActivitySink {
  feed: Activity;
  provider: string;
}
