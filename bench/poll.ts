import type { ChildProcess } from 'node:child_process';
import { call } from './http.ts';

/**
 * Polls `url` every few milliseconds on a fresh connection until it answers 200, the child
 * exits, or the time is up. Refused connections are expected while the server starts.
 */
export async function waitFor200(
  url: string,
  headers: Record<string, string>,
  timeoutMs: number,
  child?: ChildProcess,
  intervalMs = 5,
): Promise<{ ok: true } | { ok: false; reason: string }> {
  const deadline = Date.now() + timeoutMs;
  let last = 'no answer';
  while (Date.now() < deadline) {
    if (child && (child.exitCode !== null || child.signalCode !== null)) return { ok: false, reason: `it exited (code ${child.exitCode}, signal ${child.signalCode})` };
    try {
      const reply = await call(url, { headers, agent: false, timeoutMs: 5_000 });
      if (reply.status === 200) return { ok: true };
      last = `HTTP ${reply.status} ${reply.body.toString('utf8').slice(0, 120)}`;
    } catch (error) {
      last = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
  return { ok: false, reason: `nothing but '${last}' for ${timeoutMs} ms` };
}
