// A long day in one emulator: 1,000 execs one after another and 200 follow streams at once,
// across the providers. Each answer is checked (the real output came back), and afterwards the
// emulator holds what it held before: as many open file descriptors, no child process more, and
// a resident size near where it was. The emulator runs as `npm start` runs it, in a process of
// its own, so that what is counted is its own.

import type { ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCli } from '../test-support/cli-process.ts';
import { descendants, eventually } from '../test-support/process-alive.ts';

const EXECS = 1_000;
const FOLLOWS = 200;
/** Lines each followed process prints once released. */
const LINES = 100;

/** Open descriptors of a process. */
const fdsOf = (pid: number) => readdirSync(`/proc/${pid}/fd`).length;
/** Resident size of a process, in MiB. */
function rssOf(pid: number): number {
  const kb = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]);
  return kb / 1024;
}

describe('a thousand execs and two hundred follows', () => {
  let cli: ChildProcess;
  let origin: string;
  // A connection per request, closed after its answer: an idle keep-alive socket would count as an
  // open descriptor of the emulator's.
  function call(path: string, method = 'GET', body?: unknown, raw?: string): Promise<{ status: number; text: () => Promise<string> }> {
    return new Promise((resolve, reject) => {
      const payload = raw ?? (body === undefined ? undefined : JSON.stringify(body));
      const type = raw !== undefined ? 'application/octet-stream' : 'application/json';
      const req = request(`${origin}${path}`, { method, agent: false, headers: payload ? { 'content-type': type } : {} }, (res) => {
        const chunks: Buffer[] = [];
        const done = new Promise<string>((ok, fail) => {
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => ok(Buffer.concat(chunks).toString()));
          res.on('error', fail);
        });
        resolve({ status: res.statusCode!, text: () => done });
      });
      req.on('error', reject);
      req.end(payload);
    });
  }
  const postJson = (path: string, body: unknown) => call(path, 'POST', body);
  const json = async (answer: { text: () => Promise<string> }) => JSON.parse(await answer.text());

  beforeAll(async () => {
    const started = startCli();
    cli = started.child;
    origin = await started.origin;
  });
  afterAll(async () => {
    if (cli && cli.exitCode === null) {
      const exited = new Promise((resolve) => cli.once('exit', resolve));
      cli.kill('SIGTERM');
      await exited;
    }
  });

  /** One exec through one of the providers, its real output checked. */
  async function exec(i: number, round: Round): Promise<void> {
    const word = `w${i}`;
    switch (i % 3) {
      case 0: {
        const answer = await postJson(`/blaxel/sandboxes/${round.name}/process`, { command: `echo ${word}`, waitForCompletion: true });
        const body = (await json(answer)) as { exitCode: number; stdout: string };
        expect([answer.status, body.exitCode, body.stdout]).toEqual([200, 0, `${word}\n`]);
        break;
      }
      case 1: {
        const answer = await postJson(`/tensorlake/sandboxes/sbx-${round.name}/api/v1/processes/run`, { command: 'echo', args: [word] });
        const text = await answer.text();
        expect(answer.status).toBe(200);
        expect(text).toContain(`"line":"${word}"`);
        expect(text).toContain('"exit_code":0');
        break;
      }
      default: {
        const answer = await postJson(`/agentbox/v1/sandboxes/${round.agentbox}/exec`, { command: `echo ${word}` });
        expect([answer.status, await json(answer)]).toEqual([200, { exitCode: 0, stdout: `${word}\n`, stderr: '' }]);
      }
    }
  }

  /** Reads a whole follow stream as text. */
  async function follow(path: string): Promise<{ opened: Promise<void>; text: Promise<string> }> {
    let opened!: () => void;
    const headers = new Promise<void>((resolve) => (opened = resolve));
    const text = call(path).then(async (answer) => {
      expect(answer.status).toBe(200);
      opened();
      return answer.text();
    });
    return { opened: headers, text };
  }

  interface Round {
    name: string;
    agentbox: string;
  }

  /** `execs` execs one after another, then `follows` follow streams at once, in sandboxes of their own. */
  async function load(name: string, execs: number, follows: number): Promise<void> {
    const box = await postJson('/agentbox/v1/sandboxes', { poolName: 'default' });
    expect(box.status).toBe(201);
    const round: Round = { name, agentbox: ((await json(box)) as { sandbox: { sandboxId: string } }).sandbox.sandboxId };

    for (let i = 0; i < execs; i++) await exec(i, round).catch((error) => Promise.reject(new Error(`exec ${i}: ${error}`)));

    // Half Blaxel, half Tensorlake. Each process waits for a line on its stdin (the pipe exists
    // from its start, so no write can come too early), then prints its lines; the lines go once
    // every stream is open.
    const script = `read go; i=1; while [ $i -le ${LINES} ]; do echo line$i; i=$((i+1)); done`;
    const streams: Array<{ opened: Promise<void>; text: Promise<string>; provider: string; release: string }> = [];
    for (let i = 0; i < follows; i++) {
      if (i % 2 === 0) {
        const started = await postJson(`/blaxel/sandboxes/${name}/process`, { command: script, name: `follow-${i}`, stdin: true });
        expect(started.status).toBe(200);
        streams.push({ ...(await follow(`/blaxel/sandboxes/${name}/process/follow-${i}/logs/stream`)), provider: 'blaxel', release: `/blaxel/sandboxes/${name}/process/follow-${i}/stdin` });
      } else {
        const started = await postJson(`/tensorlake/sandboxes/sbx-${name}/api/v1/processes`, { command: 'sh', args: ['-c', script], stdin_mode: 'pipe' });
        expect(started.status).toBe(201);
        const { pid } = (await json(started)) as { pid: number };
        streams.push({ ...(await follow(`/tensorlake/sandboxes/sbx-${name}/api/v1/processes/${pid}/output/follow`)), provider: 'tensorlake', release: `/tensorlake/sandboxes/sbx-${name}/api/v1/processes/${pid}/stdin` });
      }
    }
    await Promise.all(streams.map((s) => s.opened));
    await Promise.all(
      streams.map(async (s) => {
        const written = await call(s.release, 'POST', undefined, 'go\n');
        await written.text();
        expect(written.status, `stdin of a ${s.provider} process`).toBeLessThan(300);
      }),
    );
    const texts = await Promise.all(streams.map((s) => s.text));
    for (const [i, text] of texts.entries()) {
      for (const n of [1, LINES / 2, LINES]) expect(text, `stream ${i} (${streams[i].provider}) has line${n}`).toMatch(new RegExp(`line${n}\\b`));
    }

    // The sandboxes go, and with them the processes they kept listed.
    for (const path of [`/blaxel/v0/sandboxes/${name}`, `/tensorlake/v1/namespaces/default/sandboxes/sbx-${name}`, `/agentbox/v1/sandboxes/${round.agentbox}`]) {
      const deleted = await call(path, 'DELETE');
      await deleted.text();
      expect(deleted.status, `DELETE ${path}`).toBeLessThan(300);
    }
  }

  it('no errors, and descriptors, children and memory back where they were', async () => {
    // Warm: every code path has run, and the heap has grown to what such a load needs.
    await load('warm', 300, FOLLOWS);
    const baselineFds = fdsOf(cli.pid!);
    const baselineChildren = descendants(cli.pid!);
    const baselineRss = rssOf(cli.pid!);

    await load('soak', EXECS, FOLLOWS);

    // Nothing left over: every process has ended, every socket is closed on both sides.
    await eventually(() => descendants(cli.pid!).join() === baselineChildren.join(), 'the emulator’s children to be those of before', 10_000);
    await eventually(() => fdsOf(cli.pid!) <= baselineFds, `open descriptors back to ${baselineFds}`, 10_000);
    console.log(`[soak] descriptors ${baselineFds} -> ${fdsOf(cli.pid!)}, RSS ${baselineRss.toFixed(0)} -> ${rssOf(cli.pid!).toFixed(0)} MiB, children ${baselineChildren.length}`);
    // V8 gives memory back to the system lazily, so this is a bound, not equality: a leak of a
    // few KiB per exec or stream (a listener, a buffer, a record kept) would pass it.
    expect(rssOf(cli.pid!)).toBeLessThan(baselineRss + 48);
  }, 120_000);
});
