import { describe, expect, it } from 'vitest';
import { TerminatedSandboxes, type TerminatedInfo } from './terminated-sandboxes.ts';

const record = (id: string, name: string | null = null, namespace = 'default'): TerminatedInfo => ({ id, namespace, name, status: 'terminated', terminated_at: 1, termination_reason: null });

describe('TerminatedSandboxes', () => {
  it('keeps at most max records, forgetting the oldest first', () => {
    const kept = new TerminatedSandboxes(2);
    for (const id of ['a', 'b', 'c']) kept.remember(record(id));
    expect(kept.find('default', 'a')).toBeUndefined();
    expect(kept.find('default', 'b')?.id).toBe('b');
    expect(kept.find('default', 'c')?.id).toBe('c');
  });

  it('finds by name the newest record that had it, within its namespace only', () => {
    const kept = new TerminatedSandboxes();
    kept.remember(record('one', 'box'));
    kept.remember(record('two', 'box'));
    expect(kept.find('default', 'box')?.id).toBe('two');
    expect(kept.find('other', 'box')).toBeUndefined();
    expect(kept.find('other', 'one')).toBeUndefined();
  });
});
