import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { EmulatorApp } from '../app.ts';
import { createTempRoot, sweepStaleRoots } from './temp-root.ts';

/** A pid that was just used and is no longer running: a process that ran and was reaped. */
function deadPid(): number {
  const { pid } = spawnSync('true');
  if (!pid) throw new Error('could not run true');
  return pid;
}

const made: string[] = [];
afterEach(() => {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('temp roots of emulators that died', () => {
  it('are swept: a dead owner loses its root, a live one and unrelated folders keep theirs', async () => {
    const parent = mkdtempSync(join(tmpdir(), 'temp-root-test-'));
    made.push(parent);
    const dead = join(parent, `sandbox-emulator-root-${deadPid()}-AbC123`);
    mkdirSync(join(dead, '1-box'), { recursive: true });
    writeFileSync(join(dead, '1-box', 'left.txt'), 'left behind by a SIGKILLed emulator');
    // pid 1 always runs (and is not ours to signal when we are not root: EPERM counts as alive).
    const live = join(parent, 'sandbox-emulator-root-1-XyZ789');
    mkdirSync(live);
    const mine = await createTempRoot(parent);
    const unrelated = join(parent, 'sandbox-emulator-drift-q1w2e3');
    mkdirSync(unrelated);

    expect(await sweepStaleRoots(parent)).toEqual([dead]);
    expect(existsSync(dead)).toBe(false);
    expect([live, mine, unrelated].filter(existsSync)).toEqual([live, mine, unrelated]);
  });

  it('are swept when an emulator starts', async () => {
    const dead = join(tmpdir(), `sandbox-emulator-root-${deadPid()}-Start1`);
    mkdirSync(dead);
    made.push(dead);
    const app = await EmulatorApp.create({ providers: ['blaxel'] });
    try {
      expect(existsSync(dead)).toBe(false);
    } finally {
      await app.close();
    }
  });
});
