import { afterEach, describe, expect, it, onTestFinished } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { alive } from '../test-support/process-alive.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));
const children: ChildProcess[] = [];

afterEach(() => {
  // A failed test must not leave an emulator behind: end npm and everything below it.
  for (const child of children.splice(0)) {
    try {
      process.kill(-child.pid!, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }
});

/** Starts `npm start` with extra arguments, the way a user does. */
function npmStart(args: string[]): ChildProcess {
  // detached: its own process group, so cleanup can reach npm's children too.
  const child = spawn('npm', ['start', '--silent', '--', ...args], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  children.push(child);
  return child;
}

function output(child: ChildProcess): { text: () => string } {
  let text = '';
  child.stdout!.on('data', (d) => (text += d));
  child.stderr!.on('data', (d) => (text += d));
  return { text: () => text };
}

const seen = new WeakMap<ChildProcess, { text: string }>();

/** Resolves with the first match of `pattern` in everything the child printed so far or later. */
function waitFor(child: ChildProcess, pattern: RegExp): Promise<RegExpMatchArray> {
  let buffer = seen.get(child);
  if (!buffer) {
    const b = { text: '' };
    seen.set(child, b);
    child.stdout!.on('data', (d) => (b.text += d));
    buffer = b;
  }
  const state = buffer;
  return new Promise((resolve, reject) => {
    const check = () => {
      const match = state.text.match(pattern);
      if (!match) return false;
      child.stdout!.off('data', onData);
      resolve(match);
      return true;
    };
    // Runs after the accumulating listener above, so the new chunk is already in state.text.
    const onData = () => void check();
    if (check()) return;
    child.stdout!.on('data', onData);
    child.once('exit', (code) => reject(new Error(`exited with ${code} before printing ${pattern}: ${state.text}`)));
  });
}

function exited(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => {
    if (child.exitCode !== null) resolve(child.exitCode);
    else child.once('exit', (code) => resolve(code));
  });
}


describe('npm start', () => {
  it('prints each provider base URL and ends every process it started on SIGTERM', async () => {
    const child = npmStart(['--port', '0', '--quiet']);
    const [, origin] = await waitFor(child, /listening on (http:\/\/127\.0\.0\.1:\d+)/);
    const banner = await waitFor(child, /Ctrl-C/);
    expect(banner.input).toContain(`${origin}/blaxel/v0`);
    expect(banner.input).toContain(`${origin}/tensorlake/sandboxes/`);
    expect(banner.input).toContain(`AGENTBOX_ENDPOINT=${origin}/agentbox`);

    const pids: number[] = [];
    for (const name of ['a', 'b']) {
      const res = await fetch(`${origin}/blaxel/sandboxes/${name}/process`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ command: 'sleep 60' }),
      });
      expect(res.status).toBe(200);
      pids.push(Number((await res.json()).pid));
    }
    const tl = await fetch(`${origin}/tensorlake/sandboxes/sbx-1/api/v1/processes`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ command: 'sleep', args: ['60'] }),
    });
    expect(tl.status).toBe(201);
    pids.push((await tl.json()).pid);
    expect(pids.every(alive)).toBe(true);

    child.kill('SIGTERM');
    expect(await exited(child)).toBe(0);
    expect(pids.filter(alive)).toEqual([]);
  });

  it('logs one line per request', async () => {
    const child = npmStart(['--port', '0']);
    const [, origin] = await waitFor(child, /listening on (http:\/\/127\.0\.0\.1:\d+)/);
    const logged = waitFor(child, /GET \/agentbox\/ping 200 \d+ms/);
    await fetch(`${origin}/agentbox/ping`);
    await logged;
    child.kill('SIGINT');
    expect(await exited(child)).toBe(0);
  });

  it('answers a port already in use with one clear line and a non-zero exit', async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as { port: number }).port;
    try {
      const child = npmStart(['--port', String(port)]);
      const out = output(child);
      expect(await exited(child)).not.toBe(0);
      expect(out.text()).toMatch(new RegExp(`Failed to listen: port ${port} on 127\\.0\\.0\\.1 is already in use`));
      expect(out.text()).not.toMatch(/\n\s+at /);
    } finally {
      blocker.close();
    }
  });

  it.each([
    [['--bogus'], /Unknown option '--bogus'/],
    [['--fidelity', 'exact'], /'exact' is neither 'spec' nor 'observed'/],
    [['--output-cap', 'lots'], /'lots' is not a size/],
    [['--config', '/nonexistent/emulator.yaml'], /Failed to read the config file \/nonexistent\/emulator\.yaml/],
    [['--allow-origin', '*'], /Failed to read --allow-origin '\*': .*no wildcard/],
    [['--allow-origin', 'http://localhost:3000/app'], /Failed to read --allow-origin 'http:\/\/localhost:3000\/app'/],
  ])('refuses %j with one line and exit code 2', async (args, message) => {
    const child = npmStart(args);
    const out = output(child);
    expect(await exited(child)).toBe(2);
    expect(out.text()).toMatch(message);
    expect(out.text().trim().split('\n').filter((l) => l.startsWith('sandbox-emulator:'))).toHaveLength(1);
  });

  it('warns loudly when it listens beyond loopback with a provider that needs no token, naming that provider', async () => {
    const child = npmStart(['--port', '0', '--quiet', '--host', '0.0.0.0', '--providers', 'blaxel,tensorlake', '--tensorlake-token', 'secret']);
    const out = output(child);
    await waitFor(child, /Ctrl-C/);
    await new Promise<void>((resolve) => (out.text().includes('!!!\n') ? resolve() : child.stderr!.on('data', () => out.text().includes('!!!\n') && resolve())));
    expect(out.text()).toContain('WARNING: listening on 0.0.0.0, beyond this machine, with no token for blaxel.');
    expect(out.text()).toContain('--blaxel-token <secret>');
    child.kill('SIGTERM');
    expect(await exited(child)).toBe(0);
  });

  it('does not warn on loopback, nor beyond it when every provider needs a token', async () => {
    for (const args of [[], ['--host', '0.0.0.0', '--providers', 'agentbox', '--agentbox-token', 'k']]) {
      const child = spawn(process.execPath, [join(root, 'bin', 'sandbox-emulator.js'), 'start', '--port', '0', '--quiet', ...args], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
      children.push(child);
      const out = output(child);
      // 'close', not 'exit': every byte it wrote to stderr has been read by then.
      const closed = new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)));
      await waitFor(child, /Ctrl-C/);
      child.kill('SIGTERM');
      expect(await closed, out.text()).toBe(0);
      expect(out.text()).toContain('sandbox-emulator stopped.');
      expect(out.text()).not.toContain('WARNING');
    }
  });

  it('keeps serving when whoever read its output goes away (npm start | head -1, then stderr too)', async () => {
    // The CLI itself, not npm: npm would die of the closed pipe first.
    const child = spawn(process.execPath, [join(root, 'bin', 'sandbox-emulator.js'), 'start', '--port', '0'], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    children.push(child);
    const [, origin] = await waitFor(child, /listening on (http:\/\/127\.0\.0\.1:\d+)/);
    child.stdout!.destroy();
    // Each answer writes a log line into the closed pipe; the first one used to end the emulator.
    for (let i = 0; i < 3; i++) expect((await fetch(`${origin}/agentbox/ping`)).status).toBe(200);
    // stderr going too (a log shipper that took both): a process that cannot start writes its
    // reason to the log, and the shutdown below writes to both.
    child.stderr!.destroy();
    const failed = await fetch(`${origin}/tensorlake/sandboxes/sbx-closed/api/v1/processes`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"command":"no-such-program"}' });
    expect(failed.status).toBe(500);
    expect((await fetch(`${origin}/agentbox/ping`)).status).toBe(200);
    expect(child.exitCode).toBeNull();
    child.kill('SIGTERM');
    expect(await exited(child)).toBe(0);
  });

  it('refuses a config file that is not YAML', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'cli-test-'));
    onTestFinished(() => rm(dir, { recursive: true, force: true }));
    const file = join(dir, 'bad.yaml');
    await writeFile(file, 'pools: [unclosed');
    const child = npmStart(['--config', file]);
    const out = output(child);
    expect(await exited(child)).toBe(2);
    expect(out.text()).toMatch(/is not valid YAML or JSON/);
  });
});

describe('sandbox-emulator drift', () => {
  const reference = join(root, '..', 'shared', 'reference', 'blaxel', 'openapi.yml');
  const hasReference = (() => {
    try {
      readFileSync(reference);
      return true;
    } catch {
      return false;
    }
  })();

  function drift(args: string[]): Promise<{ code: number | null; text: string }> {
    const child = spawn(process.execPath, ['--import', 'tsx', join(root, 'emulator', 'cli.ts'), 'drift', ...args], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    children.push(child);
    const out = output(child);
    return exited(child).then((code) => ({ code, text: out.text() }));
  }

  // it.skipIf takes no reason, so a skipped test carries it in its name.
  const named = (name: string) => (hasReference ? name : `${name} [skipped: ../shared/reference is not beside this checkout]`);

  it.skipIf(!hasReference)(named('reports no drift on the seed operation and exits 0'), async () => {
    const { code, text } = await drift(['--provider', 'blaxel', '--upstream', reference, '--operation', 'GET /process/{identifier}/logs']);
    expect(text).toMatch(/No drift on 1 shared operation/);
    expect(code).toBe(0);
  });

  it.skipIf(!hasReference)(named('exits 1 and lists the differences when the documents differ'), async () => {
    const { code, text } = await drift(['--provider', 'blaxel', '--upstream', reference]);
    expect(text).toMatch(/differences? on \d+ of \d+ shared operations/);
    expect(code).toBe(1);
  });

  it('refuses to run without --upstream, in one line', async () => {
    const { code, text } = await drift(['--provider', 'blaxel']);
    expect(code).toBe(2);
    expect(text).toMatch(/--provider and --upstream are required/);
  });
});
