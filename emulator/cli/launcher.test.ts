import { afterAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const root = fileURLToPath(new URL('../../', import.meta.url));

// A copy of the project (its node_modules linked), so that its dist/ and sources can be changed
// without touching the real ones, which other tests and a running emulator use.
const copy = mkdtempSync(join(tmpdir(), 'launcher-test-'));
for (const entry of ['bin', 'emulator', 'scripts', 'specs', 'fixtures', 'package.json', 'tsconfig.json']) {
  cpSync(join(root, entry), join(copy, entry), { recursive: true });
}
symlinkSync(join(root, 'node_modules'), join(copy, 'node_modules'));
const bundle = join(copy, 'dist', 'cli.js');

afterAll(() => rmSync(copy, { recursive: true, force: true }));

/** `node bin/sandbox-emulator.js help` in the copy: what it printed. */
async function help(): Promise<string> {
  const { stdout } = await promisify(execFile)(process.execPath, [join(copy, 'bin', 'sandbox-emulator.js'), 'help'], { cwd: copy, timeout: 30_000 });
  return stdout;
}

describe('bin/sandbox-emulator.js', () => {
  it('builds dist/cli.js when there is none, and runs it', async () => {
    expect(existsSync(bundle)).toBe(false);
    expect(await help()).toContain('Usage: sandbox-emulator <command>');
    const text = readFileSync(bundle, 'utf8');
    expect(text).toContain('// sandbox-emulator build: ');
    // The packages are inside it: a start resolves and loads none of their files.
    const imported = [...text.matchAll(/^import .* from ["']([^"']+)["'];?$/gm)].map((m) => m[1]);
    expect(imported.filter((name) => !name.startsWith('node:') && !/^[a-z_]+$/.test(name))).toEqual([]);
  });

  it('runs the same bundle again while no source changed', async () => {
    const before = statSync(bundle).mtimeMs;
    expect(await help()).toContain('Usage: sandbox-emulator <command>');
    expect(statSync(bundle).mtimeMs).toBe(before);
  });

  it('rebuilds it when a source changed', async () => {
    const cli = join(copy, 'emulator', 'cli.ts');
    writeFileSync(cli, readFileSync(cli, 'utf8').replace('Usage: sandbox-emulator <command>', 'Usage (changed): sandbox-emulator <command>'));
    expect(await help()).toContain('Usage (changed): sandbox-emulator <command>');
  });

  it('runs the sources through tsx when dist/ cannot be written', async () => {
    rmSync(join(copy, 'dist'), { recursive: true, force: true });
    // A file where the folder should be: no bundle can be written, whoever runs the test.
    writeFileSync(join(copy, 'dist'), 'not a folder');
    expect(await help()).toContain('Usage (changed): sandbox-emulator <command>');
  });
});
