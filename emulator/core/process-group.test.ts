import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { describe, expect, it } from 'vitest';
import { alive } from '../test-support/process-alive.ts';
import { groupEnded } from './process-group.ts';

/** A group whose leader exits at once, leaving a background sleep behind in the group. */
async function orphanedGroup(): Promise<{ pgid: number; orphan: number }> {
  const leader = spawn('sh', ['-c', 'sleep 1000 > /dev/null 2>&1 & echo $!'], { detached: true, stdio: ['ignore', 'pipe', 'ignore'] });
  let out = '';
  leader.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  await once(leader, 'close');
  return { pgid: leader.pid!, orphan: Number(out.trim()) };
}

describe('groupEnded', () => {
  it('resolves once the last member of a killed group is gone, though none of them is our child', async () => {
    const { pgid, orphan } = await orphanedGroup();
    expect(alive(orphan)).toBe(true);
    process.kill(-pgid, 'SIGKILL');
    expect(await groupEnded(pgid)).toBe(true);
    expect(alive(orphan)).toBe(false);
  });

  it('gives up after the timeout while a member still runs', async () => {
    const { pgid, orphan } = await orphanedGroup();
    try {
      expect(await groupEnded(pgid, 50)).toBe(false);
      expect(alive(orphan)).toBe(true);
    } finally {
      process.kill(-pgid, 'SIGKILL');
      await groupEnded(pgid);
    }
  });

  it('resolves at once for a group that does not exist', async () => {
    const { pgid } = await orphanedGroup();
    process.kill(-pgid, 'SIGKILL');
    await groupEnded(pgid);
    expect(await groupEnded(pgid, 0)).toBe(true);
  });
});
