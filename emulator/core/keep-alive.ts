/** Marks a pause: nothing came from the source for the whole interval. */
export const IDLE = Symbol('idle');

/**
 * Passes the source's items through, and yields IDLE whenever `intervalMs` passes without one,
 * so a stream can send a keep-alive while a process is quiet. Ends with the source, or at once
 * when `signal` aborts (a pending wait never outlives the client).
 */
export async function* withKeepAlive<T>(source: AsyncIterable<T>, intervalMs: number, signal: AbortSignal): AsyncGenerator<T | typeof IDLE> {
  const iterator = source[Symbol.asyncIterator]();
  let pending: Promise<IteratorResult<T>> | undefined;
  try {
    while (!signal.aborted) {
      pending ??= iterator.next();
      const idle = pause(intervalMs, signal);
      let result: IteratorResult<T> | typeof IDLE;
      try {
        result = await Promise.race([pending, idle.promise]);
      } finally {
        // One timer per wait, cleared at once: a busy stream must not pile up timers.
        idle.cancel();
      }
      if (result === IDLE) {
        if (signal.aborted) return;
        yield IDLE;
        continue;
      }
      pending = undefined;
      if (result.done) return;
      yield result.value;
    }
  } finally {
    // Not awaited while a next() is still pending: the source ends on the same abort anyway.
    if (pending) void pending.then(() => iterator.return?.(), () => undefined);
    else await iterator.return?.();
  }
}

function pause(ms: number, signal: AbortSignal): { promise: Promise<typeof IDLE>; cancel(): void } {
  let timer: NodeJS.Timeout | undefined;
  let onAbort: (() => void) | undefined;
  const promise = new Promise<typeof IDLE>((resolve) => {
    onAbort = () => resolve(IDLE);
    timer = setTimeout(onAbort, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
  return {
    promise,
    cancel() {
      clearTimeout(timer);
      if (onAbort) signal.removeEventListener('abort', onAbort);
    },
  };
}
