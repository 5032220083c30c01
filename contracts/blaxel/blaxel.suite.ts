import { join } from 'node:path';
import { loadSpec } from '../../emulator/openapi/load-spec.ts';
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
    // The lines come a moment after the start, so the stream sees them live (in one read), not
    // as the replay of output written before it was opened.
    const proc = await startBackground(client, sandbox, unique('follow'), "sleep 0.5; printf 'first\\nsecond\\n'; sleep 60");
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

const restarts: Scenario = {
  name: 'restart on failure',
  operations: ['startProcess', 'streamProcessLogs'],
  async run(client, { sandbox, unique, cleanup }) {
    // The logs stream of a restarting process follows every run, to the last one.
    const flaky = await startBackground(client, sandbox, unique('flaky'), 'sleep 0.2; echo run; exit 1', { restartOnFailure: true, maxRestarts: 1 });
    cleanup(() => client.call('killProcess', { vars: { sandbox }, params: { identifier: flaky.pid }, untracked: true }));
    const stream = await client.stream('streamProcessLogs', { vars: { sandbox }, params: { identifier: flaky.pid } });
    if ('reader' in stream) {
      const frames = await client.readToEnd('streamProcessLogs', stream.reader, 'the logs stream of a restarting process');
      const runs = frames.filter((f) => f.payload === 'stdout:run').length;
      client.expect('streamProcessLogs', runs === 2, `the logs stream of a process restarted once carries both runs: ${JSON.stringify(frames.map((f) => f.payload))}`);
    } else client.expect('streamProcessLogs', false, `the logs stream answered ${stream.status}`);

    // Each run appends a line to a file in the sandbox, so the count of real runs is on disk.
    const file = unique('runs');
    const res = await client.call('startProcess', {
      vars: { sandbox },
      json: { command: `echo run >> ${file}; exit 1`, restartOnFailure: true, maxRestarts: 2, waitForCompletion: true },
    });
    client.expect('startProcess', res.json?.status === 'failed' && res.json?.restartCount === 2, `a command failing every time ended ${res.json?.status} after ${res.json?.restartCount} restarts`);
    client.expect('startProcess', (res.json?.stdout ?? '').includes('[Process failed with exit code 1. Attempting restart 2/2...]'), `the restart banners are in stdout: ${JSON.stringify(res.json?.stdout)}`);
    const runs = await client.call('getFilesystem', { vars: { sandbox }, params: { path: `/${file}` }, untracked: true });
    client.expect('startProcess', runs.json?.content === 'run\nrun\nrun\n', `the command ran three times: ${JSON.stringify(runs.json?.content)}`);
  },
};

/** A multipart/form-data body with one `file` part. */
function formBody(bytes: string): { raw: string; headers: Record<string, string> } {
  const boundary = 'contract-boundary';
  const raw = `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="part.bin"\r\nContent-Type: application/octet-stream\r\n\r\n${bytes}\r\n--${boundary}--\r\n`;
  return { raw, headers: { 'content-type': `multipart/form-data; boundary=${boundary}` } };
}

const files: Scenario = {
  name: 'files',
  operations: ['putFilesystem', 'getFilesystem', 'deleteFilesystem', 'getFilesystemTree', 'putFilesystemTree', 'deleteFilesystemTree', 'findFilesystem'],
  async run(client, { sandbox, unique, cleanup }) {
    const dir = `/${unique('files')}`;
    cleanup(() => client.call('deleteFilesystem', { vars: { sandbox }, params: { path: dir }, query: { recursive: true }, untracked: true }));
    const made = await client.call('putFilesystem', { vars: { sandbox }, params: { path: `${dir}/sub` }, json: { isDirectory: true } });
    client.expect('putFilesystem', made.status === 200, `mkdir answered ${made.status}`);
    const written = await client.call('putFilesystem', { vars: { sandbox }, params: { path: `${dir}/a.txt` }, json: { content: 'alpha\n' } });
    client.expect('putFilesystem', written.status === 200 && written.json?.path === `${dir}/a.txt`, `write answered ${written.status} ${written.text}`);
    const upload = formBody('bravo');
    const binary = await client.call('putFilesystem', { vars: { sandbox }, params: { path: `${dir}/b.bin` }, raw: upload.raw, headers: upload.headers });
    client.expect('putFilesystem', binary.status === 200, `a multipart upload answered ${binary.status} ${binary.text}`);

    const read = await client.call('getFilesystem', { vars: { sandbox }, params: { path: `${dir}/a.txt` } });
    client.expect('getFilesystem', read.json?.content === 'alpha\n' && read.json?.size === 6, `read gave ${read.text}`);
    const bytes = await client.call('getFilesystem', { vars: { sandbox }, params: { path: `${dir}/b.bin` }, headers: { accept: 'application/octet-stream' } });
    client.expect('getFilesystem', bytes.status === 200 && bytes.text === 'bravo', `the bytes of the upload: ${bytes.status} ${JSON.stringify(bytes.text)}`);
    const listing = await client.call('getFilesystem', { vars: { sandbox }, params: { path: dir } });
    const names = (listing.json?.files ?? []).map((f: { name: string }) => f.name).sort().join(',');
    client.expect('getFilesystem', names === 'a.txt,b.bin' && listing.json?.subdirectories?.[0]?.path === `${dir}/sub`, `the listing: ${listing.text}`);
    const missing = await client.call('getFilesystem', { vars: { sandbox }, params: { path: `${dir}/nope` } });
    client.expect('getFilesystem', missing.status === 404, `a missing file answered ${missing.status}`);

    const tree = await client.call('putFilesystemTree', { vars: { sandbox }, params: { path: `${dir}/tree` }, json: { files: { 'x/y.txt': 'why' } } });
    client.expect('putFilesystemTree', tree.status === 200 && tree.json?.subdirectories?.[0]?.name === 'x', `the tree write answered ${tree.status} ${tree.text}`);
    const treeGet = await client.call('getFilesystemTree', { vars: { sandbox }, params: { path: `${dir}/tree/x` } });
    client.expect('getFilesystemTree', treeGet.json?.files?.[0]?.name === 'y.txt', `the tree listing: ${treeGet.text}`);
    const found = await client.call('findFilesystem', { vars: { sandbox }, params: { path: dir }, query: { patterns: '*.txt' } });
    const paths = (found.json?.matches ?? []).map((m: { path: string }) => m.path).sort().join(',');
    client.expect('findFilesystem', paths === 'a.txt,tree/x/y.txt', `find *.txt gave ${found.text}`);
    const treeGone = await client.call('deleteFilesystemTree', { vars: { sandbox }, params: { path: `${dir}/tree` }, query: { recursive: true } });
    client.expect('deleteFilesystemTree', treeGone.status === 200, `the tree delete answered ${treeGone.status}`);

    const notEmpty = await client.call('deleteFilesystem', { vars: { sandbox }, params: { path: dir } });
    client.expect('deleteFilesystem', notEmpty.status === 422, `deleting a full directory without recursive answered ${notEmpty.status}`);
    const deleted = await client.call('deleteFilesystem', { vars: { sandbox }, params: { path: `${dir}/a.txt` } });
    client.expect('deleteFilesystem', deleted.status === 200, `a file delete answered ${deleted.status}`);
    const after = await client.call('getFilesystem', { vars: { sandbox }, params: { path: `${dir}/a.txt` }, untracked: true });
    client.expect('deleteFilesystem', after.status === 404, `a deleted file reads ${after.status}`);
  },
};

const multipartUpload: Scenario = {
  name: 'multipart upload',
  operations: ['initiateMultipartUpload', 'uploadMultipartPart', 'listMultipartParts', 'listMultipartUploads', 'completeMultipartUpload', 'abortMultipartUpload'],
  async run(client, { sandbox, unique, cleanup }) {
    const path = `/${unique('upload')}.bin`;
    cleanup(() => client.call('deleteFilesystem', { vars: { sandbox }, params: { path }, untracked: true }));
    const started = await client.call('initiateMultipartUpload', { vars: { sandbox }, params: { path }, json: {} });
    const uploadId = started.json?.uploadId as string | undefined;
    client.expect('initiateMultipartUpload', started.status === 200 && typeof uploadId === 'string', `initiate answered ${started.status} ${started.text}`);
    if (!uploadId) return;
    const parts = [];
    for (const [partNumber, text] of [[1, 'first-'], [2, 'second']] as const) {
      const body = formBody(text);
      const part = await client.call('uploadMultipartPart', { vars: { sandbox }, params: { uploadId }, query: { partNumber }, raw: body.raw, headers: body.headers });
      client.expect('uploadMultipartPart', part.status === 200 && part.json?.size === text.length, `part ${partNumber} answered ${part.status} ${part.text}`);
      parts.push({ partNumber, etag: part.json?.etag });
    }
    const listed = await client.call('listMultipartParts', { vars: { sandbox }, params: { uploadId } });
    client.expect('listMultipartParts', listed.json?.parts?.length === 2, `the parts: ${listed.text}`);
    const all = await client.call('listMultipartUploads', { vars: { sandbox } });
    client.expect('listMultipartUploads', (all.json?.uploads ?? []).some((u: { uploadId: string }) => u.uploadId === uploadId), `the uploads: ${all.text}`);
    const done = await client.call('completeMultipartUpload', { vars: { sandbox }, params: { uploadId }, json: { parts } });
    client.expect('completeMultipartUpload', done.status === 200, `complete answered ${done.status} ${done.text}`);
    const read = await client.call('getFilesystem', { vars: { sandbox }, params: { path }, untracked: true });
    client.expect('completeMultipartUpload', read.json?.content === 'first-second', `the assembled file: ${JSON.stringify(read.json?.content)}`);

    const other = await client.call('initiateMultipartUpload', { vars: { sandbox }, params: { path: `${path}.2` }, json: {}, untracked: true });
    const aborted = await client.call('abortMultipartUpload', { vars: { sandbox }, params: { uploadId: other.json?.uploadId ?? 'none' } });
    client.expect('abortMultipartUpload', aborted.status === 200, `abort answered ${aborted.status}`);
    const again = await client.call('abortMultipartUpload', { vars: { sandbox }, params: { uploadId: other.json?.uploadId ?? 'none' } });
    client.expect('abortMultipartUpload', again.status === 404, `aborting it again answered ${again.status}`);
  },
};

const watchFiles: Scenario = {
  name: 'watch',
  operations: ['watchFilesystem'],
  async run(client, { sandbox, unique, cleanup }) {
    const dir = `/${unique('watch')}`;
    cleanup(() => client.call('deleteFilesystem', { vars: { sandbox }, params: { path: dir }, query: { recursive: true }, untracked: true }));
    await client.call('putFilesystem', { vars: { sandbox }, params: { path: dir }, json: { isDirectory: true }, untracked: true });
    const res = await client.stream('watchFilesystem', { vars: { sandbox }, params: { path: dir } });
    if (!('reader' in res)) {
      client.expect('watchFilesystem', false, `the watch answered ${res.status} ${res.mediaType}, not a stream`);
      return;
    }
    // The watch is armed shortly after the answer starts: write until one event arrives.
    let written = 0;
    const writer = setInterval(() => {
      void client.call('putFilesystem', { vars: { sandbox }, params: { path: `${dir}/f${written++}.txt` }, json: { content: 'x' }, untracked: true });
    }, 50);
    try {
      const frames = await client.readUntil('watchFilesystem', res.reader, (f) => String(f.payload).includes('"name":"f'), 'an event for a new file');
      const event = JSON.parse(String(frames.at(-1)?.payload));
      client.expect('watchFilesystem', event.path === dir && /^f\d+\.txt$/.test(event.name) && ['CREATE', 'WRITE'].includes(event.op), `the event: ${JSON.stringify(event)}`);
    } finally {
      clearInterval(writer);
      await res.reader.cancel();
    }
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
  scenarios: [execAndOutput, invalidInput, unknownIds, stopAndKill, execStream, logsStream, stdin, controlPlane, restarts, files, multipartUpload, watchFiles],
};
