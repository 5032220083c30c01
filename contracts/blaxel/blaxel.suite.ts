import { join } from 'node:path';
import { loadSpec } from '../../emulator/spec/load-spec.ts';
import type { ContractSuite, Scenario } from '../kit/contract-suite.ts';
import type { SpecClient } from '../kit/spec-client.ts';
import { waitUntil } from '../kit/wait-until.ts';

// The Blaxel contract: what our documents (specs/blaxel.yaml, specs/blaxel-control.yaml) promise,
// checked against any target. Each scenario drives real commands and checks what came back.

const FINISHED = new Set(['completed', 'failed', 'stopped', 'killed']);

async function finished(client: SpecClient, sandbox: string, identifier: string) {
  return waitUntil(`process ${identifier} to finish`, async () => {
    const res = await client.call('getProcess', { vars: { sandbox }, params: { identifier }, untracked: true });
    return res.status === 200 && FINISHED.has(res.json?.status) && res.json?.completedAt ? res.json : undefined;
  });
}

/** Starts a process in the background and registers its kill for clean-up. */
async function startBackground(client: SpecClient, sandbox: string, name: string, command: string, extra: object = {}) {
  const res = await client.call('startProcess', { vars: { sandbox }, json: { name, command, ...extra } });
  if (res.status !== 200) throw new Error(`starting '${command}' answered ${res.status}: ${res.text}`);
  return res.json as { pid: string; name: string; status: string };
}

const execAndOutput: Scenario = {
  name: 'exec and output',
  operations: ['startProcess', 'getProcess', 'getProcessLogs', 'listProcesses', 'streamProcessLogs', 'writeProcessStdin'],
  async run(client, { sandbox, unique, cleanup }) {
    const quick = await client.call('startProcess', {
      vars: { sandbox },
      json: { name: unique('wait'), command: "printf 'a\\n'; printf 'b\\n' >&2; exit 3", waitForCompletion: true },
    });
    client.expect('startProcess', quick.status === 200, `waitForCompletion answered ${quick.status}`);
    client.expect('startProcess', quick.json?.status === 'failed' && quick.json?.exitCode === 3, `a command exiting 3 ended ${quick.json?.status} with exit code ${quick.json?.exitCode}`);
    client.expect('startProcess', quick.json?.stdout === 'a\n' && quick.json?.stderr === 'b\n', `stdout ${JSON.stringify(quick.json?.stdout)}, stderr ${JSON.stringify(quick.json?.stderr)}`);

    // Two pipes carry no order of their own: each write waits for a line on stdin, which the
    // suite sends only once it has seen the previous write, so the real order is known.
    const name = unique('out');
    const command = "printf 'a\\n'; read x; printf 'b\\n' >&2; read x; printf 'c\\n'; exit 3";
    const proc = await startBackground(client, sandbox, name, command, { stdin: true });
    cleanup(() => client.call('killProcess', { vars: { sandbox }, params: { identifier: proc.pid }, untracked: true }));
    const stream = await client.stream('streamProcessLogs', { vars: { sandbox }, params: { identifier: proc.pid } });
    if (!('reader' in stream)) throw new Error(`the logs stream answered ${stream.status}`);
    const next = () => client.call('writeProcessStdin', { vars: { sandbox }, params: { identifier: proc.pid }, raw: '\n', headers: { 'content-type': 'application/octet-stream' }, untracked: true });
    await client.readUntil('streamProcessLogs', stream.reader, (f) => String(f.payload).endsWith('a'), 'the first write');
    await next();
    await client.readUntil('streamProcessLogs', stream.reader, (f) => String(f.payload).endsWith('b'), 'the second write');
    await next();
    await client.readToEnd('streamProcessLogs', stream.reader, 'the logs stream after the process ended');
    const done = await finished(client, sandbox, name);
    client.expect('getProcess', done.status === 'failed' && done.exitCode === 3, `a process exiting 3 reports ${done.status}/${done.exitCode}`);

    const got = await client.call('getProcess', { vars: { sandbox }, params: { identifier: name } });
    client.expect('getProcess', got.json?.status === 'failed' && got.json?.exitCode === 3 && got.json?.pid === proc.pid, `get by name: ${got.json?.status}/${got.json?.exitCode}`);
    const byPid = await client.call('getProcess', { vars: { sandbox }, params: { identifier: proc.pid } });
    client.expect('getProcess', byPid.json?.name === name, 'an all-digit identifier resolves the pid');

    const logs = await client.call('getProcessLogs', { vars: { sandbox }, params: { identifier: name } });
    client.expect('getProcessLogs', logs.json?.stdout === 'a\nc\n' && logs.json?.stderr === 'b\n', `stdout and stderr apart: ${JSON.stringify(logs.json)}`);
    client.expect('getProcessLogs', logs.json?.logs === 'a\nb\nc\n', `logs keeps the real order of both streams: got ${JSON.stringify(logs.json?.logs)}`);

    const list = await client.call('listProcesses', { vars: { sandbox } });
    client.expect('listProcesses', Array.isArray(list.json) && list.json.some((p: { name: string }) => p.name === name), 'the list holds the finished process');
  },
};

const invalidInput: Scenario = {
  name: 'invalid input',
  operations: ['startProcess'],
  async run(client, { sandbox }) {
    const malformed = await client.call('startProcess', { vars: { sandbox }, raw: '{"command": ', headers: { 'content-type': 'application/json' } });
    client.expect('startProcess', malformed.status === 400 && typeof malformed.json?.error === 'string', `malformed JSON answered ${malformed.status}`);
    const wrongTypes = await client.call('startProcess', { vars: { sandbox }, json: { command: 42, waitForCompletion: 'yes' } });
    client.expect('startProcess', wrongTypes.status === 400, `a body of the wrong types answered ${wrongTypes.status}`);
    const missing = await client.call('startProcess', { vars: { sandbox }, json: { name: 'no-command' } });
    client.expect('startProcess', missing.status === 400, `a body without command answered ${missing.status}`);
    const badDir = await client.call('startProcess', { vars: { sandbox }, json: { command: 'true', workingDir: '/nonexistent/folder' } });
    client.expect('startProcess', badDir.status === 422 && /does not exist/.test(badDir.json?.error ?? ''), `a missing workingDir answered ${badDir.status}`);
  },
};

const unknownIds: Scenario = {
  name: 'unknown ids',
  operations: ['getProcess', 'stopProcess', 'killProcess', 'getProcessLogs', 'streamProcessLogs', 'writeProcessStdin', 'closeProcessStdin'],
  async run(client, { sandbox, unique }) {
    const identifier = unique('missing');
    for (const op of ['getProcess', 'stopProcess', 'killProcess', 'getProcessLogs', 'closeProcessStdin']) {
      const res = await client.call(op, { vars: { sandbox }, params: { identifier } });
      client.expect(op, res.status === 404 && typeof res.json?.error === 'string', `an unknown id answered ${res.status}`);
    }
    const write = await client.call('writeProcessStdin', { vars: { sandbox }, params: { identifier }, raw: 'x', headers: { 'content-type': 'application/octet-stream' } });
    client.expect('writeProcessStdin', write.status === 404, `an unknown id answered ${write.status}`);
    const stream = await client.stream('streamProcessLogs', { vars: { sandbox }, params: { identifier } });
    client.expect('streamProcessLogs', stream.status === 404, `an unknown id answered ${stream.status}`);
    if ('reader' in stream) await stream.reader.cancel();
  },
};

const stopAndKill: Scenario = {
  name: 'stop and kill',
  operations: ['stopProcess', 'killProcess', 'getProcess'],
  async run(client, { sandbox, unique, cleanup }) {
    const stopped = await startBackground(client, sandbox, unique('stop'), 'sleep 60');
    cleanup(() => client.call('killProcess', { vars: { sandbox }, params: { identifier: stopped.pid }, untracked: true }));
    client.expect('getProcess', stopped.status === 'running', `a fresh sleep reports ${stopped.status}`);
    const stop = await client.call('stopProcess', { vars: { sandbox }, params: { identifier: stopped.pid } });
    client.expect('stopProcess', stop.status === 200 && typeof stop.json?.message === 'string', `stop answered ${stop.status}`);
    const afterStop = await finished(client, sandbox, stopped.pid);
    client.expect('stopProcess', afterStop.status === 'stopped', `a stopped process reports ${afterStop.status}`);
    const again = await client.call('stopProcess', { vars: { sandbox }, params: { identifier: stopped.pid } });
    client.expect('stopProcess', again.status === 404, `stopping a process that is not running answered ${again.status}`);

    // A process that ignores SIGTERM is still running right after a stop, and must say so.
    const stubborn = await startBackground(client, sandbox, unique('stubborn'), "trap '' TERM; echo ready; while :; do sleep 1; done");
    cleanup(() => client.call('killProcess', { vars: { sandbox }, params: { identifier: stubborn.pid }, untracked: true }));
    await waitUntil('the stubborn process to set its trap', async () => {
      const res = await client.call('getProcessLogs', { vars: { sandbox }, params: { identifier: stubborn.pid }, untracked: true });
      return res.json?.stdout?.includes('ready');
    });
    await client.call('stopProcess', { vars: { sandbox }, params: { identifier: stubborn.pid } });
    const still = await client.call('getProcess', { vars: { sandbox }, params: { identifier: stubborn.pid } });
    client.expect('stopProcess', still.json?.status === 'running', `a process ignoring SIGTERM reports ${still.json?.status} right after the stop, though it still runs`);
    await client.call('killProcess', { vars: { sandbox }, params: { identifier: stubborn.pid }, untracked: true });

    const killed = await startBackground(client, sandbox, unique('kill'), 'sleep 60');
    cleanup(() => client.call('killProcess', { vars: { sandbox }, params: { identifier: killed.pid }, untracked: true }));
    const kill = await client.call('killProcess', { vars: { sandbox }, params: { identifier: killed.pid } });
    client.expect('killProcess', kill.status === 200 && typeof kill.json?.message === 'string', `kill answered ${kill.status}`);
    const afterKill = await finished(client, sandbox, killed.pid);
    client.expect('killProcess', afterKill.status === 'killed', `a killed process reports ${afterKill.status}`);
  },
};

const execStream: Scenario = {
  name: 'exec stream',
  operations: ['startProcess'],
  async run(client, { sandbox, unique }) {
    const res = await client.stream('startProcess', {
      vars: { sandbox },
      headers: { accept: 'text/event-stream' },
      json: { name: unique('ndjson'), command: "echo one; sleep 0.1; echo two >&2", waitForCompletion: true },
    });
    if (!('reader' in res)) {
      client.expect('startProcess', false, `a streamed exec answered ${res.status} ${res.mediaType}, not a stream`);
      return;
    }
    const frames = await client.readToEnd('startProcess', res.reader, 'the exec stream after the process ended');
    const payloads = frames.map((f) => f.payload as { type: string; data?: string });
    const out = payloads.filter((p) => p.type === 'stdout').map((p) => p.data).join('');
    const err = payloads.filter((p) => p.type === 'stderr').map((p) => p.data).join('');
    client.expect('startProcess', out === 'one\n' && err === 'two\n', `stream output: stdout ${JSON.stringify(out)}, stderr ${JSON.stringify(err)}`);
    const last = payloads.at(-1);
    let result: { status?: string; exitCode?: number } | undefined;
    try {
      result = last?.type === 'result' && last.data ? JSON.parse(last.data) : undefined;
    } catch {
      result = undefined;
    }
    client.expect('startProcess', result?.status === 'completed' && result.exitCode === 0, `the last frame is a result holding the process: ${JSON.stringify(last)}`);

    const failing = await client.stream('startProcess', {
      vars: { sandbox },
      headers: { accept: 'text/event-stream' },
      json: { command: 'true', workingDir: '/nonexistent/folder', waitForCompletion: true },
    });
    client.expect('startProcess', failing.status === 422, `a streamed exec that cannot start answered ${failing.status}`);
    if ('reader' in failing) await failing.reader.cancel();
  },
};

const logsStream: Scenario = {
  name: 'logs stream',
  operations: ['streamProcessLogs'],
  async run(client, { sandbox, unique, cleanup }) {
    const proc = await startBackground(client, sandbox, unique('follow'), "printf 'first\\nsecond\\n'; sleep 60");
    cleanup(() => client.call('killProcess', { vars: { sandbox }, params: { identifier: proc.pid }, untracked: true }));
    const res = await client.stream('streamProcessLogs', { vars: { sandbox }, params: { identifier: proc.pid } });
    if (!('reader' in res)) {
      client.expect('streamProcessLogs', false, `the logs stream answered ${res.status} ${res.mediaType}, not a stream`);
      return;
    }
    const early = await client.readUntil('streamProcessLogs', res.reader, (f) => String(f.payload).includes('second'), 'the second line while the process runs');
    const running = await client.call('getProcess', { vars: { sandbox }, params: { identifier: proc.pid }, untracked: true });
    client.expect('streamProcessLogs', running.json?.status === 'running', 'lines arrive while the process still runs');
    client.expect('streamProcessLogs', early.map((f) => f.payload).join('|') === 'stdout:first|stdout:second', `every line carries its stream prefix: ${JSON.stringify(early.map((f) => f.raw))}`);
    await client.call('killProcess', { vars: { sandbox }, params: { identifier: proc.pid }, untracked: true });
    await client.readToEnd('streamProcessLogs', res.reader, 'the logs stream after the process was killed');
    client.expect('streamProcessLogs', true, 'the stream ends once the process has ended');
  },
};

const stdin: Scenario = {
  name: 'stdin',
  operations: ['writeProcessStdin', 'closeProcessStdin'],
  async run(client, { sandbox, unique, cleanup }) {
    const proc = await startBackground(client, sandbox, unique('cat'), 'cat', { stdin: true });
    cleanup(() => client.call('killProcess', { vars: { sandbox }, params: { identifier: proc.pid }, untracked: true }));
    const write = await client.call('writeProcessStdin', { vars: { sandbox }, params: { identifier: proc.pid }, raw: 'ping\n', headers: { 'content-type': 'application/octet-stream' } });
    client.expect('writeProcessStdin', write.status === 200, `a write answered ${write.status}`);
    const close = await client.call('closeProcessStdin', { vars: { sandbox }, params: { identifier: proc.pid } });
    client.expect('closeProcessStdin', close.status === 200, `closing stdin answered ${close.status}`);
    const done = await finished(client, sandbox, proc.pid);
    client.expect('writeProcessStdin', done.stdout === 'ping\n', `cat echoed ${JSON.stringify(done.stdout)}`);
    client.expect('closeProcessStdin', done.status === 'completed', `cat ended ${done.status} after end-of-file`);
  },
};

const controlPlane: Scenario = {
  name: 'control plane',
  operations: ['createSandbox', 'getSandbox', 'listSandboxes', 'deleteSandbox'],
  async run(client, { unique, cleanup }) {
    const name = unique('sbx');
    cleanup(() => client.call('deleteSandbox', { params: { sandboxName: name }, untracked: true }));
    const created = await client.call('createSandbox', { json: { metadata: { name }, spec: { runtime: { image: 'blaxel/base-image:latest', memory: 4096 } } } });
    client.expect('createSandbox', created.status === 200 && created.json?.metadata?.name === name, `create answered ${created.status}`);
    client.expect('createSandbox', !created.json?.spec?.region, 'the record names no region (the SDK would open HTTP/2 to the real edge)');
    const again = await client.call('createSandbox', { json: { metadata: { name } } });
    client.expect('createSandbox', again.status === 409, `creating an existing sandbox answered ${again.status}`);
    const got = await client.call('getSandbox', { params: { sandboxName: name } });
    client.expect('getSandbox', got.status === 200 && typeof got.json?.metadata?.url === 'string', 'get gives the sandbox with its URL');
    if (got.json?.metadata?.url) {
      // The URL the record gives must serve the sandbox API.
      const res = await client.target.fetch(`${got.json.metadata.url}/process`, { headers: client.target.headers });
      client.expect('getSandbox', res.status === 200, `metadata.url serves the sandbox API (GET /process answered ${res.status})`);
      await res.text();
    }
    const list = await client.call('listSandboxes');
    client.expect('listSandboxes', Array.isArray(list.json) && list.json.some((s: { metadata?: { name?: string } }) => s.metadata?.name === name), 'the list holds the new sandbox');
    const deleted = await client.call('deleteSandbox', { params: { sandboxName: name } });
    client.expect('deleteSandbox', deleted.status === 200, `delete answered ${deleted.status}`);
    const gone = await client.call('getSandbox', { params: { sandboxName: name } });
    client.expect('getSandbox', gone.status === 404, `a deleted sandbox answered ${gone.status}`);
  },
};

export const blaxelSuite: ContractSuite = {
  provider: 'blaxel',
  async surfaces(specsDir) {
    return [
      { mountId: 'blaxel-sandbox', spec: await loadSpec(join(specsDir, 'blaxel.yaml')) },
      { mountId: 'blaxel-control', spec: await loadSpec(join(specsDir, 'blaxel-control.yaml')) },
    ];
  },
  scenarios: [execAndOutput, invalidInput, unknownIds, stopAndKill, execStream, logsStream, stdin, controlPlane],
};
