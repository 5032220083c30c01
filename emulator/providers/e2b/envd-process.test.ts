// envd's process service over HTTP, where the contract suite (contracts/e2b) found the emulator
// answering otherwise than envd: a signalled process reported `exited: true`, and a write to a
// closed stdin or an unknown signal got statuses envd never sends. envd's own words are its Go
// handlers' (e2b-dev/infra, packages/envd/internal/services/process).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEmulator, type Emulator } from '../../index.ts';
import { envelope } from './connect-envelope.ts';

let emulator: Emulator;
let envd: string;
let sandboxId: string;
let token: string;
beforeAll(async () => {
  emulator = await createEmulator({ port: 0, providers: ['e2b'] });
  const { origin } = await emulator.listen();
  envd = `${origin}/e2b/envd`;
  const created = await fetch(`${origin}/e2b/v2/sandboxes`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ templateID: 'base', timeout: 60 }) });
  ({ sandboxID: sandboxId, envdAccessToken: token } = (await created.json()) as { sandboxID: string; envdAccessToken: string });
});
afterAll(() => emulator?.close());

const unary = async (procedure: string, body: unknown) => {
  const res = await fetch(`${envd}/process.Process/${procedure}`, { method: 'POST', headers: { 'content-type': 'application/json', 'e2b-sandbox-id': sandboxId, 'x-access-token': token }, body: JSON.stringify(body) });
  return [res.status, await res.json()] as const;
};

/** Starts a process; its events, one envelope's JSON each, as they come. */
async function start(message: unknown, headers: Record<string, string> = {}): Promise<{ next(): Promise<any>; cancel(): Promise<void> }> {
  const res = await fetch(`${envd}/process.Process/Start`, {
    method: 'POST',
    headers: { 'content-type': 'application/connect+json', 'connect-protocol-version': '1', 'e2b-sandbox-id': sandboxId, 'x-access-token': token, ...headers },
    body: Buffer.from(envelope(message).data),
  });
  const reader = res.body!.getReader();
  let bytes = Buffer.alloc(0);
  return {
    async next() {
      while (bytes.length < 5 || bytes.length < 5 + bytes.readUInt32BE(1)) {
        const { value, done } = await reader.read();
        if (done) return undefined;
        bytes = Buffer.concat([bytes, value]);
      }
      const length = bytes.readUInt32BE(1);
      const message = JSON.parse(bytes.subarray(5, 5 + length).toString());
      bytes = bytes.subarray(5 + length);
      return message;
    },
    cancel: () => reader.cancel(),
  };
}

describe("envd's process service", () => {
  it('ends a process a signal killed with exitCode -1 and no `exited` (Go says false for a signal, and protobuf leaves it out)', async () => {
    const events = await start({ process: { cmd: 'sh', args: ['-c', 'kill -9 $$'] }, stdin: false });
    const seen = [];
    for (let event = await events.next(); event; event = await events.next()) seen.push(event);
    expect(seen.at(-2)).toEqual({ event: { end: { exitCode: -1, status: 'signal: killed', error: 'signal: killed' } } });
    expect(seen.at(-1)).toEqual({});
  });

  it('answers a write to a closed stdin, or one never opened, with `internal` (500), as envd wraps every failed write', async () => {
    const pids: number[] = [];
    for (const stdin of [true, false]) {
      const events = await start({ process: { cmd: 'sleep', args: ['300'] }, stdin });
      const pid = (await events.next()).event.start.pid as number;
      pids.push(pid);
      if (stdin) expect(await unary('CloseStdin', { process: { pid } })).toEqual([200, {}]);
      expect(await unary('SendInput', { process: { pid }, input: { stdin: Buffer.from('late\n').toString('base64') } })).toEqual([
        500,
        { code: 'internal', message: 'error writing to stdin: stdin not enabled or closed' },
      ]);
      await events.cancel();
    }
    for (const pid of pids) await unary('SendSignal', { process: { pid }, signal: 'SIGNAL_SIGKILL' });
    expect(emulator.app.violations).toEqual([]);
  });

  it('answers a signal other than SIGKILL and SIGTERM with `unimplemented` (501), and sends none', async () => {
    const events = await start({ process: { cmd: 'sleep', args: ['300'] }, stdin: false });
    const pid = (await events.next()).event.start.pid as number;
    expect(await unary('SendSignal', { process: { pid }, signal: 'SIGNAL_UNSPECIFIED' })).toEqual([501, { code: 'unimplemented', message: 'invalid signal: SIGNAL_UNSPECIFIED' }]);
    expect((await unary('List', {}))[1].processes.map((p: { pid: number }) => p.pid)).toContain(pid);
    await unary('SendSignal', { process: { pid }, signal: 'SIGNAL_SIGKILL' });
    await events.cancel();
    expect(emulator.app.violations).toEqual([]);
  });

  it("refuses terminal input and a resize for a process with no terminal, and stdin for one with a terminal, in envd's words", async () => {
    const plain = await start({ process: { cmd: 'cat', args: [] } });
    const plainPid = (await plain.next()).event.start.pid as number;
    const terminal = await start({ process: { cmd: 'cat', args: [] }, pty: { size: { cols: 80, rows: 24 } } });
    const ptyPid = (await terminal.next()).event.start.pid as number;
    const bytes = Buffer.from('x\n').toString('base64');
    expect(await unary('SendInput', { process: { pid: plainPid }, input: { pty: bytes } })).toEqual([
      500,
      { code: 'internal', message: 'error writing to tty: tty not assigned to process — input should be written to the stdin, not the tty' },
    ]);
    expect(await unary('Update', { process: { pid: plainPid }, pty: { size: { cols: 10, rows: 10 } } })).toEqual([500, { code: 'internal', message: 'error resizing tty: tty not assigned to process' }]);
    expect(await unary('SendInput', { process: { pid: ptyPid }, input: { stdin: bytes } })).toEqual([
      500,
      { code: 'internal', message: 'error writing to stdin: tty assigned to process — input should be written to the pty, not the stdin' },
    ]);
    // The terminal's input comes back as its output, echoed and then written by cat: `pty` bytes, no stdout.
    expect(await unary('SendInput', { process: { pid: ptyPid }, input: { pty: bytes } })).toEqual([200, {}]);
    const data = (await terminal.next()).event.data;
    expect(Object.keys(data)).toEqual(['pty']);
    expect(await unary('Update', { process: { pid: 4_000_000_000 }, pty: { size: { cols: 10, rows: 10 } } })).toEqual([404, { code: 'not_found', message: 'process with pid 4000000000 not found' }]);
    for (const pid of [plainPid, ptyPid]) await unary('SendSignal', { process: { pid }, signal: 'SIGNAL_SIGKILL' });
    await plain.cancel();
    await terminal.cancel();
    expect(emulator.app.violations).toEqual([]);
  });

  it('keeps stdin open for a Start that does not mention it, as envd does for older SDKs', async () => {
    const events = await start({ process: { cmd: 'cat', args: [] } });
    const pid = (await events.next()).event.start.pid as number;
    expect(await unary('SendInput', { process: { pid }, input: { stdin: Buffer.from('kept\n').toString('base64') } })).toEqual([200, {}]);
    expect(Buffer.from((await events.next()).event.data.stdout, 'base64').toString()).toBe('kept\n');
    expect(await unary('CloseStdin', { process: { pid } })).toEqual([200, {}]);
    expect((await events.next()).event.end).toEqual({ exited: true, status: 'exit status 0' });
    await events.cancel();
  });

  it('sends a keep-alive event while the process is quiet, at the interval the client asks for in seconds', async () => {
    const events = await start({ process: { cmd: 'sh', args: ['-c', 'echo hi; exec sleep 300'] }, stdin: false }, { 'keepalive-ping-interval': '1' });
    const pid = (await events.next()).event.start.pid as number;
    expect((await events.next()).event.data).toEqual({ stdout: Buffer.from('hi\n').toString('base64') });
    expect((await events.next()).event).toEqual({ keepalive: {} });
    await unary('SendSignal', { process: { pid }, signal: 'SIGNAL_SIGKILL' });
    expect((await events.next()).event.end).toMatchObject({ exitCode: -1 });
    await events.cancel();
    expect(emulator.app.violations).toEqual([]);
  });
});
