import { describe, expect, it } from 'vitest';
import { IDLE, withKeepAlive } from './keep-alive.ts';

/** A source whose items the test releases one by one. */
function gate<T>() {
  const waiting: Array<(value: IteratorResult<T>) => void> = [];
  const source: AsyncIterable<T> = {
    [Symbol.asyncIterator]: () => ({
      next: () => new Promise<IteratorResult<T>>((resolve) => waiting.push(resolve)),
      return: async () => ({ done: true, value: undefined }),
    }),
  };
  return {
    source,
    release: (value: T) => waiting.shift()?.({ done: false, value }),
    end: () => waiting.shift()?.({ done: true, value: undefined }),
  };
}

describe('withKeepAlive', () => {
  it('yields IDLE while the source is quiet and passes items through without losing one', async () => {
    const { source, release, end } = gate<string>();
    const it = withKeepAlive(source, 10, new AbortController().signal);
    expect((await it.next()).value).toBe(IDLE);
    expect((await it.next()).value).toBe(IDLE);
    const next = it.next();
    release('line');
    expect((await next).value).toBe('line');
    const last = it.next();
    end();
    expect(await last).toEqual({ done: true, value: undefined });
  });

  it('ends at once when the signal aborts, even with a long interval', async () => {
    const { source } = gate<string>();
    const controller = new AbortController();
    const it = withKeepAlive(source, 60_000, controller.signal);
    const next = it.next();
    controller.abort();
    expect(await next).toEqual({ done: true, value: undefined });
  });
});
