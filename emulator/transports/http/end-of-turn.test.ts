import { describe, expect, it } from 'vitest';
import { endOfTurn } from './end-of-turn.ts';

describe('endOfTurn', () => {
  it('gives every caller of one turn the same promise, resolved after the turn, and a new one after', async () => {
    const first = endOfTurn();
    expect(endOfTurn()).toBe(first);
    const order: string[] = [];
    void first.then(() => order.push('turn ended'));
    setImmediate(() => order.push('immediate queued after'));
    await Promise.resolve();
    expect(order).toEqual([]);
    await first;
    expect(order[0]).toBe('turn ended');
    expect(endOfTurn()).not.toBe(first);
    await endOfTurn();
  });
});
