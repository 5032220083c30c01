import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { ContractTarget } from '../contract-target.ts';
import { emulatorBaseUrl } from './emulator-layout.ts';

const root = fileURLToPath(new URL('../../../', import.meta.url));

export interface CliOptions {
  /** Extra `start` arguments, e.g. ['--fidelity', 'observed']. */
  args?: string[];
}

/**
 * The emulator's own CLI on a free port, exactly as a user starts it, as a target. Closing it
 * sends SIGTERM, which ends every process the emulator started.
 */
export async function startHttpTarget(options: CliOptions = {}): Promise<ContractTarget> {
  const child = spawn(process.execPath, ['bin/sandbox-emulator.js', 'start', '--port', '0', '--quiet', ...(options.args ?? [])], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let printed = '';
  const origin = await new Promise<string>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      printed += chunk;
      const match = /listening on (http:\/\/[^\s]+)/.exec(printed);
      if (match) {
        child.stdout.off('data', onData);
        resolve(match[1]);
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', (chunk) => (printed += chunk));
    child.once('exit', (code) => reject(new Error(`Failed to start the emulator CLI: it exited with ${code}. It printed: ${printed}`)));
  });
  child.stdout.resume();
  return {
    name: 'http',
    baseUrl: emulatorBaseUrl(origin),
    fetch: globalThis.fetch,
    async close() {
      if (child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    },
  };
}

/** A running emulator (or anything that serves the emulator's layout) at a URL the user gives. */
export function urlTarget(url: string, headers?: Record<string, string>): ContractTarget {
  return { name: url, baseUrl: emulatorBaseUrl(url), fetch: globalThis.fetch, headers, async close() {} };
}
