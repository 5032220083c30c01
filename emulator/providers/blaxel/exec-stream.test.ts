import { afterEach, describe, expect, it } from 'vitest';
import { ManagedProcess } from '../../core/managed-process.ts';
import { execStreamFrames } from './exec-stream.ts';
import { ProcessEntry } from './process-entry.ts';

// The keepalive timer runs every 5 s on the wire; here it is shortened so the timing logic is
// tested without waiting for it.

const started: ManagedProcess[] = [];

async function entryFor(command: string): Promise<ProcessEntry> {
  const proc = await ManagedProcess.start(started.length + 1, {
    argv: ['sh', '-c', command],
    command,
    args: [],
    cwd: process.cwd(),
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin' },
    stdin: 'pipe',
    capBytes: 1 << 20,
  });
  started.push(proc);
  return new ProcessEntry(proc, { name: 'p', command, workingDir: '', keepAlive: false, restartOnFailure: false, maxRestarts: 0, stdin: true });
}

afterEach(async () => {
  await Promise.all(started.splice(0).map((p) => p.terminate()));
});

describe('execStreamFrames', () => {
  it('sends keepalive frames while the process is silent, then output and the result', async () => {
    const entry = await entryFor('read x; echo "got $x"');
    const frames = execStreamFrames(entry, {
      signal: new AbortController().signal,
      timeoutSeconds: 0,
      controlLinesAsStdout: false,
      keepaliveMs: 20,
      result: () => ({ done: true }),
    });
    const seen: unknown[] = [];
    let written = false;
    for await (const frame of frames) {
      seen.push(frame.payload);
      if (!written && seen.length === 2) {
        written = true;
        await entry.proc.writeStdin(Buffer.from('it\n'));
      }
    }
    expect(seen.slice(0, 2)).toEqual([{ type: 'keepalive' }, { type: 'keepalive' }]);
    const rest = seen.filter((f) => (f as { type: string }).type !== 'keepalive');
    expect(rest).toEqual([
      { type: 'stdout', data: 'got it\n' },
      { type: 'result', data: '{"done":true}' },
    ]);
  });

  it('ends with an error frame when the timeout passes, leaving the process running', async () => {
    const entry = await entryFor('sleep 30');
    const seen: unknown[] = [];
    for await (const frame of execStreamFrames(entry, { signal: new AbortController().signal, timeoutSeconds: 0.05, controlLinesAsStdout: false, keepaliveMs: 1000, result: () => ({}) })) {
      seen.push(frame.payload);
    }
    expect(seen).toEqual([{ type: 'error', data: 'process timed out after 0.05 seconds' }]);
    expect(entry.proc.running).toBe(true);
  });

  it('passes banners and the 30 s log keepalive as stdout frames with the quirk on', async () => {
    const entry = await entryFor('read x');
    const seen: Array<{ type: string; data?: string }> = [];
    let stopped = false;
    for await (const frame of execStreamFrames(entry, { signal: new AbortController().signal, timeoutSeconds: 0, controlLinesAsStdout: true, keepaliveMs: 5, result: () => ({}) })) {
      seen.push(frame.payload as { type: string; data?: string });
      if (!stopped && seen.some((f) => f.data === '[keepalive]\n')) {
        stopped = true;
        entry.addBanner('\n[Process is being forcefully killed]\n');
        entry.proc.kill();
      }
    }
    expect(seen.findIndex((f) => f.data === '[keepalive]\n')).toBe(6);
    expect(seen).toContainEqual({ type: 'stdout', data: '\n[Process is being forcefully killed]\n' });
    expect(seen[seen.length - 1].type).toBe('result');
  });
});
