import { execFileSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { imageInputsHash } from './container-target.ts';

// The container target reuses an image built from the same inputs instead of building it again
// (a build took 50 s of a 51 s run). What counts as the same is this hash.
describe('the container image inputs', () => {
  let repo: string;
  let plain: string;
  beforeAll(async () => {
    repo = await mkdtemp(join(tmpdir(), 'image-inputs-'));
    plain = await mkdtemp(join(tmpdir(), 'image-inputs-plain-'));
    execFileSync('git', ['init', '-q'], { cwd: repo });
    await writeFile(join(repo, 'Dockerfile'), 'FROM node:20-slim\n');
    await writeFile(join(repo, '.gitignore'), 'node_modules/\n');
    execFileSync('git', ['add', '.'], { cwd: repo });
  });
  afterAll(async () => {
    await rm(repo, { recursive: true, force: true });
    await rm(plain, { recursive: true, force: true });
  });

  it('are the same for the same files, and change with any file, tracked or new', async () => {
    const first = await imageInputsHash(repo);
    expect(first).toMatch(/^[0-9a-f]{64}$/);
    expect(await imageInputsHash(repo)).toBe(first);
    await writeFile(join(repo, 'Dockerfile'), 'FROM node:20-slim\nRUN true\n');
    const edited = await imageInputsHash(repo);
    expect(edited).not.toBe(first);
    await writeFile(join(repo, 'new.ts'), 'export {};\n');
    expect(await imageInputsHash(repo)).not.toBe(edited);
  });

  it('leave out what git ignores (node_modules is fixed by the lock file)', async () => {
    const before = await imageInputsHash(repo);
    execFileSync('mkdir', ['-p', join(repo, 'node_modules')]);
    await writeFile(join(repo, 'node_modules', 'x.js'), '1');
    expect(await imageInputsHash(repo)).toBe(before);
  });

  it('are unknown outside a git checkout, so the image is always built there', async () => {
    expect(await imageInputsHash(plain)).toBeUndefined();
  });
});
