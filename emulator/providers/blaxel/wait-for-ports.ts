import { readFile } from 'node:fs/promises';
import type { ManagedProcess } from '../../core/managed-process.ts';

/** How often the listening sockets are read again (the server polls every 200 ms too). */
const POLL_MS = 200;

export type PortWait = 'ready' | 'timeout' | 'ended' | 'aborted';

/**
 * Waits until every port listens on a routable (non-loopback) address, as waitForPorts does.
 * Unlike the server, it does not check that the listener belongs to the process: the emulator
 * reads /proc/net/tcp{,6} only. Where that is missing (not Linux) the wait is skipped.
 * Ends early when the process ends (no port can open any more) or the client goes.
 */
export async function waitForPorts(ports: number[], proc: ManagedProcess, options: { deadlineAt?: number; signal: AbortSignal }): Promise<PortWait> {
  if (ports.length === 0) return 'ready';
  for (;;) {
    const listening = await listeningPorts();
    if (!listening) return 'ready';
    if (ports.every((p) => listening.has(p))) return 'ready';
    if (!proc.running) return 'ended';
    if (options.signal.aborted) return 'aborted';
    const left = options.deadlineAt === undefined ? POLL_MS : options.deadlineAt - Date.now();
    if (left <= 0) return 'timeout';
    await pause(Math.min(POLL_MS, left), options.signal);
  }
}

/** Ports in LISTEN state on a non-loopback address, or undefined when /proc/net is not there. */
async function listeningPorts(): Promise<Set<number> | undefined> {
  const tables = await Promise.all(['/proc/net/tcp', '/proc/net/tcp6'].map((f) => readFile(f, 'utf8').catch(() => undefined)));
  if (tables.every((t) => t === undefined)) return undefined;
  const out = new Set<number>();
  for (const table of tables) {
    for (const row of (table ?? '').split('\n').slice(1)) {
      const [, local, , state] = row.trim().split(/\s+/);
      if (state !== '0A' || !local) continue; // 0A = LISTEN
      const [ip, port] = local.split(':');
      if (!isLoopback(ip)) out.add(parseInt(port, 16));
    }
  }
  return out;
}

/** The kernel prints addresses as hex words in host (little-endian) order. */
function isLoopback(hex: string): boolean {
  if (hex.length === 8) return hex.slice(6, 8) === '7F';
  if (hex === '00000000000000000000000001000000') return true;
  return hex.startsWith('0000000000000000FFFF0000') && hex.slice(30, 32) === '7F';
}

function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}
