import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));

/**
 * The emulator's CLI as `npm start` runs it, without npm (a signal must reach the emulator, not
 * a wrapper), on a free port: the child, and its origin once it says it listens. `detached`
 * gives it a process group of its own, so a test's clean-up can reach all it started.
 */
export function startCli(args: readonly string[] = [], options: { detached?: boolean } = {}): { child: ChildProcess; origin: Promise<string> } {
  const child = spawn(process.execPath, [join(root, 'bin', 'sandbox-emulator.js'), 'start', '--port', '0', '--quiet', ...args], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: options.detached ?? false,
  });
  let out = '';
  const origin = new Promise<string>((resolve, reject) => {
    child.stdout!.on('data', (d) => {
      out += d;
      const match = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
      if (match) resolve(match[1]);
    });
    child.stderr!.on('data', (d) => (out += d));
    child.once('exit', (code) => reject(new Error(`the CLI exited with ${code} before listening: ${out}`)));
  });
  return { child, origin };
}
