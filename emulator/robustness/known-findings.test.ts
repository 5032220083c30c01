// What the fuzzing found, one request each, named after the finding: regression tests. A new
// finding that is not fixed yet goes here as `it.fails` (it passes while the finding stands),
// with its entry in known-findings.ts, until its fix lands.

import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEmulator, type Emulator } from '../index.ts';
import { KNOWN_FINDINGS } from './known-findings.ts';

let emulator: Emulator;

beforeAll(async () => {
  emulator = await createEmulator({ port: 0, onViolation: () => undefined });
  await emulator.listen();
});
afterAll(() => emulator?.close());

async function send(path: string, init: RequestInit = {}): Promise<{ status: number; body: any }> {
  const response = await fetch(emulator.urls.origin + path, init);
  const text = await response.text();
  try {
    return { status: response.status, body: JSON.parse(text) };
  } catch {
    return { status: response.status, body: text };
  }
}

const json = (body: unknown): RequestInit => ({ method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

describe('findings of the fuzzing, each pinned by one request', () => {
  it('every finding the suites tolerate is pinned here', () => {
    expect(KNOWN_FINDINGS.map((f) => f.id).sort()).toEqual([]);
  });

  it('unknown-query-parameter-refused: an unknown query parameter is ignored (GET /agentbox/ping?x=1 answers 200)', async () => {
    expect((await send('/agentbox/ping?x=1')).status).toBe(200);
    expect((await send('/blaxel/sandboxes/q/process?verbose=1')).status).toBe(200);
    expect((await send('/tensorlake/sandboxes/q/api/v1/processes?page=2')).status).toBe(200);
  });

  it('long-request-line-431: a 10k-character id that needs percent-encoding gets the provider 404, not a bare 431', async () => {
    const id = encodeURIComponent('é'.repeat(10_000));
    const answer = await send(`/agentbox/v1/sandboxes/${id}`);
    expect(answer.status).toBe(404);
    expect(answer.body.error).toMatch(/not found/);
  });

  it("malformed-percent-escape-500: a broken escape in a path parameter gets the provider's 404, not a 500", async () => {
    for (const path of ['/agentbox/v1/sandboxes/%zz', '/blaxel/sandboxes/b/process/%ED%A0%80', '/tensorlake/sandboxes/t/api/v1/processes/%E0%A4/stdout']) {
      expect((await send(path)).status, path).toBe(404);
    }
  });

  it('blaxel-create-lone-surrogate-name-500: a sandbox name with a lone surrogate gets a declared answer, not a 500', async () => {
    const answer = await send('/blaxel/v0/sandboxes', json({ metadata: { name: 'x\udf43' } }));
    expect([200, 400]).toContain(answer.status);
  });

  it('request-target-double-slash-crash: a request target of `//` gets a 400, and the emulator goes on serving', async () => {
    // fetch would normalise the target; this one goes on the wire as written.
    const { port } = new URL(emulator.urls.origin);
    const statusLine = await new Promise<string>((resolve, reject) => {
      const socket = connect(Number(port), '127.0.0.1', () => socket.write('GET // HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'));
      let text = '';
      socket.on('data', (chunk) => (text += chunk.toString('latin1')));
      socket.on('close', () => resolve(text.split('\r\n')[0]));
      socket.on('error', reject);
    });
    expect(statusLine).toBe('HTTP/1.1 400 Bad Request');
    expect((await send('/agentbox/ping')).status).toBe(200);
  });

  it('blaxel-create-races-first-use-500: a create racing a first-use call answers 200 or 409, never 500', async () => {
    // The race needs both requests in flight while the first-use call makes the sandbox's
    // folder; it shows up in most tries, so a few dozen make it certain.
    for (let i = 0; i < 30; i++) {
      const name = `race-${i}`;
      const [, created] = await Promise.all([
        send(`/blaxel/sandboxes/${name}/process`),
        send('/blaxel/v0/sandboxes?createIfNotExist=true', json({ metadata: { name } })),
      ]);
      expect(created.status, `try ${i}: ${JSON.stringify(created.body)}`).toBe(200);
    }
  });
});

// Found by the same inputs, though the answers are ones the documents allow (a declared 500 or
// 422), so the robustness suites pass them: the kind of error is wrong, not its shape.
describe('findings inside the documents (each test fails until its fix lands)', () => {
  it('a NUL byte in an argument or an environment value is a spawn failure, not an internal error', async () => {
    // Node's spawn() throws these synchronously (ERR_INVALID_ARG_VALUE, and E2BIG for a huge
    // argv), so ManagedProcess.start lets a TypeError out instead of a SpawnError.
    const tl = await send('/tensorlake/sandboxes/nul/api/v1/processes', json({ command: 'echo', args: ['a\u0000b'] }));
    expect(tl).toMatchObject({ status: 500, body: { error: 'Failed to spawn process' } });
    const bx = await send('/blaxel/sandboxes/nul/process', json({ command: 'true', env: { A: 'a\u0000b' } }));
    expect(bx.status).toBe(422);
  });

  it('a Blaxel timeout above 24.8 days still waits for the process (no timer overflow)', async () => {
    // setTimeout takes at most 2^31-1 ms; a longer one fires after 1 ms, so the wait "times out" at once.
    const answer = await send('/blaxel/sandboxes/timer/process', json({ command: 'sleep 0.2; echo done', waitForCompletion: true, timeout: 3_000_000 }));
    expect(answer.status).toBe(200);
    expect(answer.body.status).toBe('completed');
  });
});
