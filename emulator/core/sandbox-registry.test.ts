import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SandboxRegistry } from './sandbox-registry.ts';

let root: string;
let registry: SandboxRegistry;

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'sandbox-registry-test-'));
  registry = new SandboxRegistry({ root });
});

afterEach(async () => {
  await registry.close();
  await rm(root, { recursive: true, force: true });
});

describe('delete', () => {
  it('removes the folder and its tree', async () => {
    const sandbox = await registry.create('box', {});
    await mkdir(join(sandbox.dir, 'a/b'), { recursive: true });
    await writeFile(join(sandbox.dir, 'a/b/f.txt'), 'x');
    expect(await registry.delete('box')).toBe(true);
    expect(existsSync(sandbox.dir)).toBe(false);
    expect(await readdir(root)).toEqual([]);
    expect(registry.get('box')).toBeUndefined();
  });

  it('succeeds while a file request still writes into the folder', async () => {
    // What an upload or a mkdir -p in flight does: entries keep landing while rm walks the
    // tree, so its last rmdir met ENOTEMPTY and the sandbox delete answered 500.
    for (let round = 0; round < 8; round++) {
      const id = `busy-${round}`;
      const sandbox = await registry.create(id, {});
      for (let i = 0; i < 200; i++) await writeFile(join(sandbox.dir, `seed-${i}`), 'x');
      let writing = true;
      const writer = (async () => {
        for (let i = 0; writing; i++) await writeFile(join(sandbox.dir, `late-${i}`), 'x').catch(() => undefined);
      })();
      await expect(registry.delete(id)).resolves.toBe(true);
      writing = false;
      await writer;
      expect(registry.get(id)).toBeUndefined();
    }
  });

  it('is false for an unknown id', async () => {
    expect(await registry.delete('nobody')).toBe(false);
  });
});
