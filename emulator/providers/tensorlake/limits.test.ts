import { describe, expect, it } from 'vitest';
import { alive, eventually, startTensorlake } from '../../test-support/tensorlake-kit.ts';

// Each test here needs an emulator of its own: a small output cap, a token, or a close.

describe('tensorlake output cap', () => {
  it('keeps at most outputCapBytes per stream, newest bytes kept, in captured output and in replays', async () => {
    const tl = await startTensorlake({ outputCapBytes: 1024 });
    try {
      const box = tl.sandbox();
      // 10 000 lines of 10 bytes = 100 000 bytes on each stream.
      const proc = await box.sh('yes abcdefghi | head -n 10000; yes abcdefghi | head -n 10000 >&2');
      expect((await box.waitForEnd(proc.pid)).exit_code).toBe(0);
      for (const which of ['stdout', 'stderr'] as const) {
        const lines = await box.lines(proc.pid, which);
        // Exactly the last 1024 bytes: a 3-byte tail of a line ("ghi\n"), then 102 whole lines.
        expect(lines.length).toBe(103);
        expect(lines[0]).toBe('ghi');
        expect(lines.slice(1).every((l) => l === 'abcdefghi')).toBe(true);
        expect(lines.reduce((n, l) => n + Buffer.byteLength(l) + 1, 0)).toBe(1024);
      }
      expect(await box.lines(proc.pid, 'output')).toHaveLength(206);
      // Tensorlake's OutputResponse has no field for it: a header says what the answer lacks.
      for (const [which, dropped] of [['stdout', '98976'], ['stderr', '98976'], ['output', '197952']]) {
        const response = await box.fetch(`/api/v1/processes/${proc.pid}/${which}`);
        expect(response.headers.get('x-emulator-output-dropped'), which).toBe(dropped);
      }
      const replay = await (await box.follow(proc.pid, 'stdout')).rest();
      expect(replay).toHaveLength(104);
      expect(replay.at(-1)).toMatchObject({ event: 'eof' });
      expect(tl.emulator.app.violations).toEqual([]);
    } finally {
      await tl.emulator.close();
    }
  });
});

describe('tensorlake output under the cap', () => {
  it('says nothing was dropped by sending no header, and the request log says nothing either', async () => {
    const logged: string[] = [];
    const tl = await startTensorlake({ outputCapBytes: 1024, log: (line) => logged.push(line) });
    try {
      const box = tl.sandbox();
      const whole = await box.sh('yes abcdefghi | head -n 102');
      await box.waitForEnd(whole.pid);
      const response = await box.fetch(`/api/v1/processes/${whole.pid}/stdout`);
      expect(response.headers.get('x-emulator-output-dropped')).toBeNull();
      expect(((await response.json()) as { lines: string[] }).lines).toHaveLength(102);

      const cut = await box.sh('yes abcdefghi | head -n 103');
      await box.waitForEnd(cut.pid);
      expect((await box.fetch(`/api/v1/processes/${cut.pid}/stdout`)).headers.get('x-emulator-output-dropped')).toBe('6');
      expect(logged.filter((l) => l.includes('output cut'))).toEqual([expect.stringMatching(new RegExp(`^GET .*/processes/${cut.pid}/stdout 200 \\d+ms \\(output cut: 6 bytes dropped\\)$`))]);
    } finally {
      await tl.emulator.close();
    }
  });
});

describe('tensorlake close', () => {
  it('ends every process it started, in every sandbox, children included', async () => {
    const tl = await startTensorlake();
    const pids: number[] = [];
    try {
      for (const box of [tl.sandbox(), tl.sandbox()]) {
        const proc = await box.sh('sleep 30 & echo $!; wait');
        const follow = await box.follow(proc.pid, 'stdout');
        pids.push(proc.pid, Number((await follow.nextEvent())!.json.line));
        await follow.cancel();
        pids.push((await box.start({ command: 'sleep', args: ['30'], stdin_mode: 'pipe' })).pid);
      }
      expect(pids.every(alive)).toBe(true);
      expect(tl.emulator.app.violations).toEqual([]);
    } finally {
      await tl.emulator.close();
    }
    await eventually(() => pids.every((pid) => !alive(pid)), `pids ${pids.join(', ')} to end`);
  });
});

describe('tensorlake auth', () => {
  it('answers 401 UNAUTHORIZED without `authorization: Bearer <token>`, on both APIs', async () => {
    const tl = await startTensorlake({ tokens: { tensorlake: 't' } });
    try {
      const box = tl.sandbox();
      for (const headers of [{}, { authorization: 'Bearer wrong' }, { authorization: 't' }] as Array<Record<string, string>>) {
        const response = await box.withHeaders(headers).postJson('/api/v1/processes', { command: 'true' });
        expect(response.status).toBe(401);
        expect(await response.json()).toEqual({ error: expect.stringContaining('API key'), code: 'UNAUTHORIZED' });
      }
      expect((await box.fetch('/api/v1/processes/1/output/follow')).status).toBe(401);
      expect((await fetch(`${tl.api}/v1/namespaces/default/sandboxes`)).status).toBe(401);

      const authed = box.withHeaders({ authorization: 'Bearer t' });
      const proc = await authed.start({ command: 'echo', args: ['ok'] });
      await authed.waitForEnd(proc.pid);
      expect(await authed.lines(proc.pid, 'stdout')).toEqual(['ok']);
      const list = await fetch(`${tl.api}/v1/namespaces/default/sandboxes`, { headers: { authorization: 'bearer t' } });
      expect(list.status).toBe(200);
      expect(tl.emulator.app.violations).toEqual([]);
    } finally {
      await tl.emulator.close();
    }
  });
});

describe('tensorlake reset', () => {
  it('ends every process and forgets every sandbox, and stays usable', async () => {
    const tl = await startTensorlake();
    try {
      const box = tl.sandbox('sbx-before-reset');
      const proc = await box.start({ command: 'sleep', args: ['30'] });
      await tl.emulator.app.reset();
      expect(alive(proc.pid)).toBe(false);
      expect((await fetch(`${tl.api}/v1/namespaces/default/sandboxes/sbx-before-reset`)).status).toBe(404);
      // The same id comes back as a new, empty sandbox on its next use.
      expect(await (await box.fetch('/api/v1/processes')).json()).toEqual({ processes: [] });
      const again = await box.start({ command: 'echo', args: ['after'] });
      await box.waitForEnd(again.pid);
      expect(await box.lines(again.pid, 'stdout')).toEqual(['after']);
      expect(tl.emulator.app.violations).toEqual([]);
    } finally {
      await tl.emulator.close();
    }
  });
});

describe('tensorlake stdin bound (issue 19)', () => {
  it('stdin posted to a process that never reads is refused once the bound is full, and no post hangs', async () => {
    const tl = await startTensorlake({ stdinLimits: { maxBufferedBytes: 1024 * 1024, stallMs: 300 } });
    try {
      const box = tl.sandbox();
      // sleep never reads its stdin: past the kernel's pipe and the emulator's 1 MiB, nothing moves.
      const proc = await box.start({ command: 'sleep', args: ['1000'], stdin_mode: 'pipe' });
      const eightMiB = Buffer.alloc(8 * 1024 * 1024, 0x61);
      const posts = await Promise.all(
        Array.from({ length: 4 }, async () => {
          const response = await box.fetch(`/api/v1/processes/${proc.pid}/stdin`, { method: 'POST', body: eightMiB });
          return { status: response.status, body: response.status === 204 ? null : await response.json() };
        }),
      );
      // None fits: every post answers the daemon's stdin refusal, saying why.
      for (const post of posts) {
        expect(post.status).toBe(400);
        expect(post.body).toMatchObject({ code: 'STDIN_NOT_WRITABLE', error: expect.stringContaining(`Process ${proc.pid} stdin is full`) });
      }
      // The process still runs; the 1 MiB already waiting stays, so even a small write is refused
      // until the process reads, as a full pipe would be.
      expect((await box.get(proc.pid)).status).toBe('running');
      expect((await box.fetch(`/api/v1/processes/${proc.pid}/stdin`, { method: 'POST', body: 'small' })).status).toBe(400);
      expect(tl.emulator.app.violations).toEqual([]);
    } finally {
      await tl.emulator.close();
    }
  });

  it('a process that reads gets all of a write far larger than the bound, in order', async () => {
    const tl = await startTensorlake({ stdinLimits: { maxBufferedBytes: 1024 * 1024, stallMs: 10_000 } });
    try {
      const box = tl.sandbox();
      const proc = await box.start({ command: 'sh', args: ['-c', 'wc -c'], stdin_mode: 'pipe' });
      const parts = [Buffer.alloc(20 * 1024 * 1024, 0x62), Buffer.alloc(10 * 1024 * 1024, 0x63)];
      const statuses = await Promise.all(parts.map((part) => box.fetch(`/api/v1/processes/${proc.pid}/stdin`, { method: 'POST', body: part }).then((r) => r.status)));
      expect(statuses).toEqual([204, 204]);
      expect((await box.fetch(`/api/v1/processes/${proc.pid}/stdin/close`, { method: 'POST' })).status).toBe(204);
      expect((await box.waitForEnd(proc.pid)).exit_code).toBe(0);
      expect((await box.lines(proc.pid, 'stdout')).map((l) => l.trim())).toEqual([String(30 * 1024 * 1024)]);
    } finally {
      await tl.emulator.close();
    }
  });
});
