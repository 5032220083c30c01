import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../', import.meta.url));
let out: string;
beforeAll(async () => {
  out = await mkdtemp(join(tmpdir(), 'contracts-cli-'));
});
afterAll(() => rm(out, { recursive: true, force: true }));

/** `npm run contracts -- ...`, with no live credentials in its environment. */
async function contracts(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !/^(TENSORLAKE|BL|AGENTBOX)_/.test(name)));
  const child = spawn(process.execPath, ['--import', 'tsx', join(root, 'contracts', 'cli.ts'), '--out', out, ...args], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c));
  child.stderr.on('data', (c: Buffer) => (stderr += c));
  const [code] = (await once(child, 'close')) as [number | null];
  return { code, stdout, stderr };
}

describe('sandbox-emulator contracts', () => {
  it('fails a run whose target was skipped: a CI gate that checked nothing does not pass', async () => {
    const run = await contracts(['--provider', 'tensorlake', '--target', 'live']);
    expect(run.stdout).toContain('tensorlake contract on live: skipped: no live tensorlake credentials');
    expect(run.stdout).toContain('0 checks ran: 0 passed, 0 failed; 0 not exercised; target skipped for tensorlake.');
    expect(run.stderr).toMatch(/the live target was skipped for tensorlake, so nothing was checked there\. .*--allow-skip/);
    expect(run.code).toBe(1);
  });

  it('passes it with --allow-skip, saying the same', async () => {
    const run = await contracts(['--provider', 'tensorlake', '--target', 'live', '--allow-skip']);
    expect(run.stdout).toContain('target skipped for tensorlake');
    expect(run.code).toBe(0);
  });

  it('counts the checks that ran on a reachable target', async () => {
    const run = await contracts(['--provider', 'agentbox', '--target', 'inprocess']);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/(\d+) checks ran: \1 passed, 0 failed; \d+ not exercised\./);
  });
});
