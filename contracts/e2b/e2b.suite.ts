import { createHash, randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { loadSpec } from '../../emulator/openapi/load-spec.ts';
import type { ContractSuite, Scenario } from '../kit/contract-suite.ts';
import { ScenarioStop, type CallOptions, type CallResult, type SpecClient } from '../kit/spec-client.ts';
import type { StreamFrame } from '../kit/stream-reader.ts';
import { waitUntil } from '../kit/wait-until.ts';
import { createSandbox, openSandbox, sandboxAt, TEMPLATE, type E2bSandbox } from './e2b-sandbox.ts';
import { connectEnvelope, exitCodeOf, openEvents, run, sh, STREAM_HEADERS, type EndEvent, type ProcessEvents } from './process-events.ts';

// The E2B contract: what our documents promise for the lifecycle API (specs/e2b.yaml, mount
// e2b-api) and for envd, the daemon in each sandbox (specs/e2b-envd.yaml, mount e2b-envd),
// checked against any target. Every envd scenario works in a sandbox of its own, made through
// createSandbox and killed after it (live, in the sandbox the user names: see e2b-sandbox.ts),
// and drives real commands (argv, no shell unless `sh -c`). Waits are on stream events; the one
// poll is for a killed process to leave the list, a state with no event of its own.

/** The key the emulator targets require (X-API-KEY), so the suite can check E2B's 401. */
const CONTRACT_KEY = 'e2b_contract_0123456789';
const KEY_HEADER = 'X-API-KEY';

/** A uint32 pid no kernel hands out (pid_max is at most 2^22), so no process holds it. */
const UNKNOWN_PID = 2_147_480_000;

/** Whether the response body is a Connect error with this code. */
const connectError = (res: CallResult, code: string) => res.json?.code === code && typeof res.json?.message === 'string';
/** Whether the body is E2B's API error, `{ code, message }` with the status again. */
const apiError = (res: CallResult, status: number) => res.status === status && res.json?.code === status && typeof res.json?.message === 'string';
const base64 = (bytes: string | Uint8Array) => Buffer.from(bytes).toString('base64');
const show = (value: unknown) => JSON.stringify(value)?.slice(0, 200);
const text = (bytes: Buffer) => JSON.stringify(bytes.toString('latin1'));

/** Why an end event is not a plain exit with `code`, or undefined. */
function exitProblem(end: EndEvent | undefined, code: number): string | undefined {
  if (!end) return 'no end event';
  const status = `exit status ${code}`;
  if (exitCodeOf(end) !== code) return `exit code ${exitCodeOf(end)}, not ${code}: ${show(end)}`;
  if (end.exited !== true || end.status !== status) return `exited ${end.exited}, status ${show(end.status)}; expected exited true, status '${status}'`;
  // A failed command carries its status as the error too (the SDK's CommandExitError message).
  if (code === 0 ? end.error !== undefined : end.error !== status) return `error ${show(end.error)} for ${status}`;
  return undefined;
}

/**
 * Why an end event is not a process ended by `signal` (Go's words: killed, terminated), or
 * undefined. Go's ProcessState says -1 and exited false for a signal, and protobuf's JSON leaves
 * a false out.
 */
function signalProblem(end: EndEvent | undefined, signal: string): string | undefined {
  if (!end) return 'no end event';
  const status = `signal: ${signal}`;
  if (end.exitCode !== -1 || end.status !== status || end.error !== status) return `${show(end)}; expected exitCode -1, status and error '${status}'`;
  if (end.exited === true) return `exited true for a process a signal ended: ${show(end)}`;
  return undefined;
}

function endedCleanly(events: ProcessEvents): boolean {
  return events.endOfStream !== undefined && events.endOfStream.error === undefined;
}

const commands: Scenario = {
  name: 'commands',
  operations: ['processStart', 'health'],
  async run(client, context) {
    const sandbox = await openSandbox(client, context, 'commands');
    const health = await client.call('health', sandbox.envd());
    client.expect('health', health.status === 204, `envd of a running sandbox answered ${health.status} ${health.text.slice(0, 120)}`);

    // Each stream apart, its bytes exact, then the end event and the end of the stream.
    const both = await sh(client, sandbox, context, 'printf "out-1\\n"; printf "err-1\\n" >&2; printf "out-2\\n"');
    client.expect('processStart', typeof both.pid === 'number' && both.pid > 0, `the first event names the pid: ${both.pid}`);
    client.expect('processStart', both.stdout().toString() === 'out-1\nout-2\n' && both.stderr().toString() === 'err-1\n', `stdout ${text(both.stdout())}, stderr ${text(both.stderr())}`);
    const cleanExit = exitProblem(both.end, 0);
    client.expect('processStart', !cleanExit, `a command exiting 0: ${cleanExit}`);
    client.expect('processStart', endedCleanly(both), `a finished command's stream ends with {}: ${show(both.endOfStream)}`);

    const failed = await sh(client, sandbox, context, 'echo partial; echo why >&2; exit 3');
    const failure = exitProblem(failed.end, 3);
    client.expect('processStart', !failure, `a command exiting 3: ${failure}`);
    client.expect('processStart', failed.stdout().toString() === 'partial\n' && failed.stderr().toString() === 'why\n', `the failed command's output: ${text(failed.stdout())}, ${text(failed.stderr())}`);
    // A command that fails is a call that succeeded: the stream still ends with {}.
    client.expect('processStart', endedCleanly(failed), `a failed command's stream ends with {}, not an error: ${show(failed.endOfStream)}`);

    // Argv without a shell: the metacharacters reach the program; bytes that are no UTF-8 survive base64.
    const raw = await run(client, sandbox, context, 'printf', ['\\377\\000\\200%s', '$HOME;*`id`']);
    const want = Buffer.concat([Buffer.from([0xff, 0x00, 0x80]), Buffer.from('$HOME;*`id`')]);
    client.expect('processStart', raw.stdout().equals(want), `printf wrote ${text(raw.stdout())}, expected ${text(want)}`);

    const placed = await run(client, sandbox, context, 'sh', ['-c', 'printf "%s|" "$CONTRACT_VAR"; pwd'], { envs: { CONTRACT_VAR: 'value with spaces' }, cwd: '/tmp' });
    client.expect('processStart', placed.stdout().toString() === 'value with spaces|/tmp\n', `envs and cwd apply: printed ${text(placed.stdout())}`);

    // stdin false: the process reads EOF at once.
    const noStdin = await run(client, sandbox, context, 'cat', []);
    const catExit = exitProblem(noStdin.end, 0);
    client.expect('processStart', !catExit && noStdin.stdout().length === 0, `cat without stdin ends by itself with nothing: ${catExit ?? text(noStdin.stdout())}`);
  },
};

const background: Scenario = {
  name: 'background',
  operations: ['processStart', 'processList', 'processConnect', 'processSendInput', 'processSendSignal'],
  async run(client, context) {
    const sandbox = await openSandbox(client, context, 'background');
    const tag = context.unique('bg');
    const script = 'echo ready; read line; echo "got $line"; exec sleep 300';
    const started = await openEvents(client, sandbox, context, 'processStart', { process: { cmd: 'sh', args: ['-c', script] }, stdin: true, tag });
    const pid = await started.started('a background command');
    context.cleanup(() => client.call('processSendSignal', sandbox.envd({ json: { process: { pid }, signal: 'SIGNAL_SIGKILL' }, untracked: true })));
    await started.output('ready\n', 'a background command');

    const list = await client.call('processList', sandbox.envd({ json: {} }));
    const mine = (list.json?.processes ?? []).find((p: { pid: number }) => p.pid === pid);
    client.expect(
      'processList',
      list.status === 200 && mine?.tag === tag && mine?.config?.cmd === 'sh' && show(mine?.config?.args) === show(['-c', script]),
      `the list holds the running process with its tag and config: ${show(mine ?? list.json)}`,
    );

    // Connect follows from now on: by pid, and by the tag given at Start.
    const byPid = await openEvents(client, sandbox, context, 'processConnect', { process: { pid } });
    const byTag = await openEvents(client, sandbox, context, 'processConnect', { process: { tag } });
    for (const [how, events] of [['pid', byPid], ['tag', byTag]] as const) {
      const seen = await events.started(`connecting by ${how}`);
      client.expect('processConnect', seen === pid, `connecting by ${how} starts with the process's pid: ${seen}, not ${pid}`);
    }

    const input = await client.call('processSendInput', sandbox.envd({ json: { process: { pid }, input: { stdin: base64('ping\n') } } }));
    client.expect('processSendInput', input.status === 200 && show(input.json) === '{}', `SendInput answered ${input.status} ${input.text.slice(0, 120)}`);
    for (const events of [started, byPid, byTag]) await events.output('got ping\n', `${events.operationId}: the line the process read from stdin`);
    client.expect('processConnect', !byPid.stdout().includes('ready'), `a Connect stream replays nothing from before it connected: ${text(byPid.stdout())}`);

    const kill = await client.call('processSendSignal', sandbox.envd({ json: { process: { pid }, signal: 'SIGNAL_SIGKILL' } }));
    client.expect('processSendSignal', kill.status === 200 && show(kill.json) === '{}', `SIGKILL answered ${kill.status} ${kill.text.slice(0, 120)}`);
    for (const events of [started, byPid, byTag]) {
      await events.rest(`${events.operationId} of a killed process`);
      const problem = signalProblem(events.end, 'killed');
      client.expect('processSendSignal', !problem, `${events.operationId}'s end event after SIGKILL: ${problem}`);
      client.expect(events.operationId, endedCleanly(events), `the stream of a killed process ends with {}: ${show(events.endOfStream)}`);
    }
    await waitUntil('the killed process to leave the list', async () => {
      const res = await client.call('processList', sandbox.envd({ json: {}, untracked: true }));
      return res.status === 200 && !(res.json?.processes ?? []).some((p: { pid: number }) => p.pid === pid);
    }).then(
      () => client.expect('processList', true, ''),
      (error: Error) => client.expect('processList', false, `a killed process stays listed: ${error.message}`),
    );
    // Gone: the SDK's kill reads this not_found as `false`.
    const again = await client.call('processSendSignal', sandbox.envd({ json: { process: { pid }, signal: 'SIGNAL_SIGKILL' } }));
    client.expect('processSendSignal', again.status === 404 && connectError(again, 'not_found'), `signalling a process that ended answered ${again.status} ${again.text.slice(0, 120)}`);

    // SIGTERM ends a process that does not catch it.
    const sleeper = await openEvents(client, sandbox, context, 'processStart', { process: { cmd: 'sleep', args: ['300'] }, stdin: false });
    const sleeperPid = await sleeper.started('sleep 300');
    context.cleanup(() => client.call('processSendSignal', sandbox.envd({ json: { process: { pid: sleeperPid }, signal: 'SIGNAL_SIGKILL' }, untracked: true })));
    // envd sends SIGKILL and SIGTERM only; another signal is `unimplemented`, and nothing is sent.
    const unspecified = await client.call('processSendSignal', sandbox.envd({ json: { process: { pid: sleeperPid }, signal: 'SIGNAL_UNSPECIFIED' } }));
    client.expect('processSendSignal', unspecified.status === 501 && connectError(unspecified, 'unimplemented'), `SIGNAL_UNSPECIFIED answered ${unspecified.status} ${unspecified.text.slice(0, 120)}`);
    const term = await client.call('processSendSignal', sandbox.envd({ json: { process: { pid: sleeperPid }, signal: 'SIGNAL_SIGTERM' } }));
    client.expect('processSendSignal', term.status === 200, `SIGTERM answered ${term.status} ${term.text.slice(0, 120)}`);
    await sleeper.rest('sleep 300 after SIGTERM');
    const termProblem = signalProblem(sleeper.end, 'terminated');
    client.expect('processSendSignal', !termProblem, `the end event after SIGTERM: ${termProblem}`);
  },
};

const stdin: Scenario = {
  name: 'stdin',
  operations: ['processSendInput', 'processCloseStdin'],
  async run(client, context) {
    const sandbox = await openSandbox(client, context, 'stdin');
    const cat = await openEvents(client, sandbox, context, 'processStart', { process: { cmd: 'cat' }, stdin: true });
    const pid = await cat.started('cat with stdin');
    context.cleanup(() => client.call('processSendSignal', sandbox.envd({ json: { process: { pid }, signal: 'SIGNAL_SIGKILL' }, untracked: true })));
    const send = (bytes: string | Uint8Array, untracked = false) => client.call('processSendInput', sandbox.envd({ json: { process: { pid }, input: { stdin: base64(bytes) } }, untracked }));

    const hello = await send('hello\n');
    client.expect('processSendInput', hello.status === 200, `SendInput answered ${hello.status} ${hello.text.slice(0, 120)}`);
    await cat.output('hello\n', 'cat echoing its stdin');
    const bytes = Buffer.from([0xff, 0x00, 0x80, 0x0a]);
    await send(bytes);
    await cat.output(bytes, 'cat echoing bytes that are no UTF-8');

    const close = await client.call('processCloseStdin', sandbox.envd({ json: { process: { pid } } }));
    client.expect('processCloseStdin', close.status === 200 && show(close.json) === '{}', `CloseStdin answered ${close.status} ${close.text.slice(0, 120)}`);
    await cat.rest('cat after its stdin closed');
    const ended = exitProblem(cat.end, 0);
    client.expect('processCloseStdin', !ended, `closing stdin ends cat (EOF): ${ended}`);
    client.expect('processSendInput', cat.stdout().equals(Buffer.concat([Buffer.from('hello\n'), bytes])), `cat wrote back exactly what it was sent: ${text(cat.stdout())}`);

    // A process whose stdin is closed still runs, and takes no more input: envd's Go handler
    // answers internal ("error writing to stdin: stdin not enabled or closed").
    const reader = await openEvents(client, sandbox, context, 'processStart', { process: { cmd: 'sh', args: ['-c', 'cat; echo "stdin ended"; exec sleep 300'] }, stdin: true });
    const readerPid = await reader.started('a command that outlives its stdin');
    context.cleanup(() => client.call('processSendSignal', sandbox.envd({ json: { process: { pid: readerPid }, signal: 'SIGNAL_SIGKILL' }, untracked: true })));
    await client.call('processCloseStdin', sandbox.envd({ json: { process: { pid: readerPid } } }));
    await reader.output('stdin ended\n', 'the command after its stdin closed');
    const late = await client.call('processSendInput', sandbox.envd({ json: { process: { pid: readerPid }, input: { stdin: base64('late\n') } } }));
    client.expect('processSendInput', late.status === 500 && connectError(late, 'internal') && /stdin/.test(late.json.message), `writing to a closed stdin answered ${late.status} ${late.text.slice(0, 160)}`);
    const twice = await client.call('processCloseStdin', sandbox.envd({ json: { process: { pid: readerPid } } }));
    client.expect('processCloseStdin', twice.status === 200, `closing a closed stdin again answered ${twice.status} ${twice.text.slice(0, 120)}`);

    // Started without stdin: no pipe to write to.
    const noPipe = await openEvents(client, sandbox, context, 'processStart', { process: { cmd: 'sleep', args: ['300'] }, stdin: false });
    const noPipePid = await noPipe.started('sleep without stdin');
    context.cleanup(() => client.call('processSendSignal', sandbox.envd({ json: { process: { pid: noPipePid }, signal: 'SIGNAL_SIGKILL' }, untracked: true })));
    const refused = await client.call('processSendInput', sandbox.envd({ json: { process: { pid: noPipePid }, input: { stdin: base64('x') } } }));
    client.expect('processSendInput', refused.status === 500 && connectError(refused, 'internal'), `writing to a process started with stdin false answered ${refused.status} ${refused.text.slice(0, 160)}`);
  },
};

const pty: Scenario = {
  name: 'pty',
  operations: ['processStart', 'processUpdate', 'processSendInput'],
  async run(client, context) {
    const sandbox = await openSandbox(client, context, 'pty');
    // The terminal's size as the command sees it, before and after a resize it waits for.
    const script = 'stty size; read line; stty size';
    const term = await openEvents(client, sandbox, context, 'processStart', { process: { cmd: 'sh', args: ['-c', script] }, pty: { size: { cols: 80, rows: 24 } } });
    const pid = await term.started('a command on a terminal');
    context.cleanup(() => client.call('processSendSignal', sandbox.envd({ json: { process: { pid }, signal: 'SIGNAL_SIGKILL' }, untracked: true })));
    await term.output('24 80', 'the size the terminal was started with', 'pty');
    const resized = await client.call('processUpdate', sandbox.envd({ json: { process: { pid }, pty: { size: { cols: 100, rows: 30 } } } }));
    client.expect('processUpdate', resized.status === 200 && show(resized.json) === '{}', `Update with a new size answered ${resized.status} ${resized.text.slice(0, 120)}`);
    const input = await client.call('processSendInput', sandbox.envd({ json: { process: { pid }, input: { pty: base64('go\n') } } }));
    client.expect('processSendInput', input.status === 200, `input to the terminal answered ${input.status} ${input.text.slice(0, 120)}`);
    await term.output('30 100', 'the size after the resize', 'pty');
    await term.rest('a command on a terminal');
    const ended = exitProblem(term.end, 0);
    client.expect('processStart', !ended && term.stdout().length === 0 && term.stderr().length === 0, `a terminal's output comes as pty only, and its end as the command's: ${ended ?? `stdout ${text(term.stdout())}`}`);

    // A process with no terminal cannot be resized.
    const plain = await openEvents(client, sandbox, context, 'processStart', { process: { cmd: 'sleep', args: ['300'] }, stdin: false });
    const plainPid = await plain.started('sleep without a terminal');
    context.cleanup(() => client.call('processSendSignal', sandbox.envd({ json: { process: { pid: plainPid }, signal: 'SIGNAL_SIGKILL' }, untracked: true })));
    const refused = await client.call('processUpdate', sandbox.envd({ json: { process: { pid: plainPid }, pty: { size: { cols: 10, rows: 10 } } } }));
    client.expect('processUpdate', refused.status === 500 && connectError(refused, 'internal') && /tty not assigned/.test(refused.json.message), `resizing a process with no terminal answered ${refused.status} ${refused.text.slice(0, 160)}`);
    const unknown = await client.call('processUpdate', sandbox.envd({ json: { process: { pid: UNKNOWN_PID }, pty: { size: { cols: 10, rows: 10 } } } }));
    client.expect('processUpdate', unknown.status === 404 && connectError(unknown, 'not_found'), `resizing an unknown pid answered ${unknown.status} ${unknown.text.slice(0, 120)}`);
  },
};

const unknownPids: Scenario = {
  name: 'unknown pids',
  operations: ['processSendInput', 'processCloseStdin', 'processSendSignal', 'processConnect'],
  async run(client, context) {
    const sandbox = await openSandbox(client, context, 'unknown-pids');
    const process = { pid: UNKNOWN_PID };
    const calls: Array<[string, object]> = [
      ['processSendInput', { process, input: { stdin: base64('x') } }],
      ['processCloseStdin', { process }],
      ['processSendSignal', { process, signal: 'SIGNAL_SIGKILL' }],
    ];
    for (const [op, json] of calls) {
      const res = await client.call(op, sandbox.envd({ json }));
      client.expect(op, res.status === 404 && connectError(res, 'not_found') && res.json.message.includes(String(UNKNOWN_PID)), `an unknown pid answered ${res.status} ${res.text.slice(0, 160)}`);
    }
    const tagged = await client.call('processSendSignal', sandbox.envd({ json: { process: { tag: context.unique('no-tag') }, signal: 'SIGNAL_SIGKILL' } }));
    client.expect('processSendSignal', tagged.status === 404 && connectError(tagged, 'not_found'), `an unknown tag answered ${tagged.status} ${tagged.text.slice(0, 160)}`);

    // A stream answers 200 whatever happens: the error is its end-of-stream envelope, the only one.
    const connect = await openEvents(client, sandbox, context, 'processConnect', { process });
    await connect.rest('Connect to an unknown pid');
    client.expect(
      'processConnect',
      connect.pid === undefined && connect.endOfStream?.error?.code === 'not_found' && connect.endOfStream.error.message.includes(String(UNKNOWN_PID)),
      `Connect to an unknown pid ends with ${show(connect.endOfStream)}${connect.pid !== undefined ? ` after a start event for ${connect.pid}` : ''}, not the not_found error alone`,
    );
  },
};

/** A multipart body of `file` parts, each named by its path, as the SDK's files.write sends it. */
function multipart(files: Array<[path: string, content: string | Uint8Array]>): { raw: Uint8Array; headers: Record<string, string> } {
  const boundary = `contract-${randomBytes(8).toString('hex')}`;
  const parts = files.flatMap(([path, content]) => [
    Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${path}"\r\nContent-Type: application/octet-stream\r\n\r\n`),
    Buffer.from(content),
    Buffer.from('\r\n'),
  ]);
  return { raw: Buffer.concat([...parts, Buffer.from(`--${boundary}--\r\n`)]), headers: { 'content-type': `multipart/form-data; boundary=${boundary}` } };
}

const files: Scenario = {
  name: 'files',
  operations: ['filesUpload', 'filesDownload', 'filesystemStat', 'filesystemMakeDir', 'filesystemListDir', 'filesystemMove', 'filesystemRemove'],
  async run(client, context) {
    const sandbox = await openSandbox(client, context, 'files');
    // A folder of the run's own in the user's home, which is also the commands' working directory.
    const name = context.unique('contract-files');
    const dir = `/home/user/${name}`;
    context.cleanup(() => client.call('filesystemRemove', sandbox.envd({ json: { path: dir }, untracked: true })));
    const call = (op: string, options: CallOptions) => client.call(op, sandbox.envd(options));
    const stdoutOf = async (script: string) => (await sh(client, sandbox, context, script)).stdout().toString();
    const entryOf = (res: CallResult) => res.json?.entry as { name: string; type: string; path: string; size?: string } | undefined;

    // Upload as the SDK does one file: a multipart `file` part named by its path, the path in the query too.
    const notes = `${dir}/notes.txt`;
    const up = await call('filesUpload', { query: { path: notes }, ...multipart([[notes, 'hello file']]) });
    client.expect('filesUpload', up.status === 200 && show(up.json) === show([{ path: notes, name: 'notes.txt', type: 'file' }]), `uploading ${notes} answered ${up.status} ${up.text.slice(0, 160)}`);
    // Several files in one form, each at its part's filename (the SDK's files.write of a list).
    const many = await call('filesUpload', multipart([[`${dir}/x/1.txt`, 'one'], [`${dir}/x/2.txt`, 'two']]));
    const manyPaths = (many.json ?? []).map((f: { path: string }) => f.path);
    client.expect('filesUpload', many.status === 200 && show(manyPaths) === show([`${dir}/x/1.txt`, `${dir}/x/2.txt`]), `a form of two files answered ${many.status} ${many.text.slice(0, 160)}`);
    // A raw body at the query's path, bytes as they are.
    const bytes = Buffer.from([0xff, 0x00, 0x80, 0x0a]);
    const rawUp = await call('filesUpload', { query: { path: `${dir}/bytes.bin` }, raw: bytes, headers: { 'content-type': 'application/octet-stream' } });
    client.expect('filesUpload', rawUp.status === 200 && rawUp.json?.[0]?.path === `${dir}/bytes.bin`, `a raw upload answered ${rawUp.status} ${rawUp.text.slice(0, 160)}`);

    // Commands see the uploads in their working directory, and their files come back by download.
    const seen = await stdoutOf(`cat ${name}/notes.txt; cat ${name}/x/1.txt ${name}/x/2.txt; od -An -tx1 ${name}/bytes.bin | tr -d ' \\n'; printf made > ${name}/made.txt`);
    client.expect('filesUpload', seen === 'hello fileonetwoff00800a', `a command read the uploaded files as ${JSON.stringify(seen)}`);
    const made = await call('filesDownload', { query: { path: `${dir}/made.txt` } });
    client.expect('filesDownload', made.status === 200 && Buffer.from(made.bytes).toString() === 'made', `downloading a command's file answered ${made.status} ${JSON.stringify(made.text.slice(0, 80))}`);
    const back = await call('filesDownload', { query: { path: `${dir}/bytes.bin` } });
    client.expect('filesDownload', back.status === 200 && Buffer.from(back.bytes).equals(bytes), `the raw upload came back as ${text(Buffer.from(back.bytes))}`);
    const missing = await call('filesDownload', { query: { path: `${dir}/missing.txt` } });
    client.expect('filesDownload', apiError(missing, 404), `downloading a missing file answered ${missing.status} ${missing.text.slice(0, 120)}`);

    const stat = await call('filesystemStat', { json: { path: notes } });
    const info = entryOf(stat);
    client.expect(
      'filesystemStat',
      stat.status === 200 && info?.name === 'notes.txt' && info.type === 'FILE_TYPE_FILE' && info.path === notes && info.size === '10',
      `Stat of a 10-byte file: ${stat.status} ${show(stat.json)}`,
    );
    const statDir = entryOf(await call('filesystemStat', { json: { path: dir } }));
    client.expect('filesystemStat', statDir?.type === 'FILE_TYPE_DIRECTORY' && statDir.path === dir, `Stat of a folder: ${show(statDir)}`);
    const statMissing = await call('filesystemStat', { json: { path: `${dir}/missing.txt` } });
    client.expect('filesystemStat', statMissing.status === 404 && connectError(statMissing, 'not_found'), `Stat of a missing path answered ${statMissing.status} ${statMissing.text.slice(0, 120)}`);

    const deep = `${dir}/sub/deep`;
    const mkdir = await call('filesystemMakeDir', { json: { path: deep } });
    const madeDir = entryOf(mkdir);
    client.expect('filesystemMakeDir', mkdir.status === 200 && madeDir?.type === 'FILE_TYPE_DIRECTORY' && madeDir.path === deep && madeDir.name === 'deep', `MakeDir with its parents: ${mkdir.status} ${show(mkdir.json)}`);
    const again = await call('filesystemMakeDir', { json: { path: deep } });
    client.expect('filesystemMakeDir', again.status === 409 && connectError(again, 'already_exists'), `MakeDir of a folder that exists answered ${again.status} ${again.text.slice(0, 120)}`);
    client.expect('filesystemMakeDir', (await stdoutOf(`test -d ${name}/sub/deep && echo folder`)) === 'folder\n', 'a command sees the folder MakeDir made');

    const list = await call('filesystemListDir', { json: { path: dir } });
    const listed = ((list.json?.entries ?? []) as Array<{ name: string; type: string; path: string }>).map((e) => `${e.path} ${e.type}`).sort();
    const top = [`${dir}/bytes.bin FILE_TYPE_FILE`, `${dir}/made.txt FILE_TYPE_FILE`, `${dir}/notes.txt FILE_TYPE_FILE`, `${dir}/sub FILE_TYPE_DIRECTORY`, `${dir}/x FILE_TYPE_DIRECTORY`];
    client.expect('filesystemListDir', list.status === 200 && show(listed) === show(top), `ListDir (depth 1) listed ${show(listed)}`);
    const deeper = await call('filesystemListDir', { json: { path: dir, depth: 2 } });
    const deeperPaths = ((deeper.json?.entries ?? []) as Array<{ path: string }>).map((e) => e.path);
    client.expect(
      'filesystemListDir',
      deeper.status === 200 && deeperPaths.includes(deep) && deeperPaths.includes(`${dir}/x/1.txt`) && !deeperPaths.some((p) => p.startsWith(`${deep}/`)),
      `ListDir depth 2 lists two levels: ${show(deeperPaths)}`,
    );
    const notDir = await call('filesystemListDir', { json: { path: notes } });
    client.expect('filesystemListDir', notDir.status === 400 && connectError(notDir, 'invalid_argument'), `ListDir of a file answered ${notDir.status} ${notDir.text.slice(0, 120)}`);

    const renamed = `${dir}/renamed.txt`;
    const move = await call('filesystemMove', { json: { source: notes, destination: renamed } });
    client.expect('filesystemMove', move.status === 200 && entryOf(move)?.path === renamed && entryOf(move)?.name === 'renamed.txt', `Move answered ${move.status} ${show(move.json)}`);
    const oldGone = await call('filesystemStat', { json: { path: notes } });
    client.expect('filesystemMove', oldGone.status === 404, `the moved file's old path answered Stat ${oldGone.status}`);
    client.expect('filesystemMove', (await stdoutOf(`cat ${name}/renamed.txt`)) === 'hello file', 'a command reads the moved file at its new path');

    const remove = await call('filesystemRemove', { json: { path: renamed } });
    client.expect('filesystemRemove', remove.status === 200 && show(remove.json) === '{}', `Remove answered ${remove.status} ${remove.text.slice(0, 120)}`);
    const removedStat = await call('filesystemStat', { json: { path: renamed } });
    client.expect('filesystemRemove', removedStat.status === 404 && connectError(removedStat, 'not_found'), `Stat of a removed file answered ${removedStat.status}`);
    const removedDownload = await call('filesDownload', { query: { path: renamed } });
    client.expect('filesystemRemove', removedDownload.status === 404, `downloading a removed file answered ${removedDownload.status}`);
    client.expect('filesystemRemove', (await stdoutOf(`test -e ${name}/renamed.txt || echo gone`)) === 'gone\n', 'a command no longer sees the removed file');
    const removeTree = await call('filesystemRemove', { json: { path: `${dir}/sub` } });
    const treeGone = await stdoutOf(`test -e ${name}/sub || echo gone`);
    client.expect('filesystemRemove', removeTree.status === 200 && treeGone === 'gone\n', `Remove of a folder with a folder in it answered ${removeTree.status}; a command then says ${JSON.stringify(treeGone)}`);

    // A command's own files, as the file API sees them.
    await stdoutOf(`mkdir -p ${name}/by-command && printf abc > ${name}/by-command/c.txt`);
    const theirs = entryOf(await call('filesystemStat', { json: { path: `${dir}/by-command/c.txt` } }));
    client.expect('filesystemStat', theirs?.type === 'FILE_TYPE_FILE' && theirs.size === '3', `Stat of a file a command wrote: ${show(theirs)}`);
    const theirList = await call('filesystemListDir', { json: { path: `${dir}/by-command` } });
    client.expect('filesystemListDir', show((theirList.json?.entries ?? []).map((e: { name: string }) => e.name)) === show(['c.txt']), `ListDir of a command's folder: ${show(theirList.json)}`);
  },
};

interface FsEvent {
  name: string;
  type: string;
  entry?: { path: string; type: string };
}

const watch: Scenario = {
  name: 'watch',
  operations: ['filesystemWatchDir', 'filesystemCreateWatcher', 'filesystemGetWatcherEvents', 'filesystemRemoveWatcher'],
  async run(client, context) {
    const sandbox = await openSandbox(client, context, 'watch');
    const name = context.unique('contract-watch');
    const dir = `/home/user/${name}`;
    context.cleanup(() => client.call('filesystemRemove', sandbox.envd({ json: { path: dir }, untracked: true })));
    // The folder below is there before the watch starts: a recursive watch of a folder made
    // later would race the file made in it.
    await client.call('filesystemMakeDir', sandbox.envd({ json: { path: `${dir}/sub` } }));
    const openWatch = async (message: object, headers: Record<string, string> = {}) => {
      const res = await client.stream('filesystemWatchDir', sandbox.envd({ raw: connectEnvelope(message), headers: { ...STREAM_HEADERS, ...headers } }));
      if (!('reader' in res)) {
        client.expect('filesystemWatchDir', false, `WatchDir ${show(message)} answered ${res.status} ${res.text.slice(0, 160)}, not a Connect stream`);
        throw new ScenarioStop(`filesystemWatchDir answered ${res.status}`);
      }
      context.cleanup(() => res.reader.cancel());
      return res.reader;
    };
    const change = (file: string, type?: string) => (frame: StreamFrame) => {
      const event = (frame.payload as { filesystem?: FsEvent })?.filesystem;
      return event?.name === file && (type === undefined || event.type === type);
    };

    // The stream: a start, then each change by its name relative to the folder, below it too.
    const watcher = await openWatch({ path: dir, recursive: true });
    const [first] = await client.readUntil('filesystemWatchDir', watcher, () => true, 'the start of a watch');
    client.expect('filesystemWatchDir', first.flags === 0 && show(first.payload) === show({ start: {} }), `a watch starts with {start: {}}: ${first.raw}`);
    await sh(client, sandbox, context, `printf x > ${name}/by-command.txt`);
    await client.readUntil('filesystemWatchDir', watcher, change('by-command.txt', 'EVENT_TYPE_CREATE'), 'the CREATE of a file a command made');
    await sh(client, sandbox, context, `printf y > ${name}/sub/inner.txt`);
    await client.readUntil('filesystemWatchDir', watcher, change('sub/inner.txt'), 'a change below the folder, in a recursive watch');
    await client.call('filesUpload', sandbox.envd({ query: { path: `${dir}/uploaded.txt` }, raw: 'up', headers: { 'content-type': 'application/octet-stream' } }));
    await client.readUntil('filesystemWatchDir', watcher, change('uploaded.txt'), 'a change from an upload');
    await client.call('filesystemRemove', sandbox.envd({ json: { path: `${dir}/by-command.txt` } }));
    await client.readUntil('filesystemWatchDir', watcher, change('by-command.txt', 'EVENT_TYPE_REMOVE'), 'the REMOVE of a removed file');
    // Each read above stops the scenario with its failure; here every change came as its event.
    client.expect('filesystemWatchDir', true, 'every change came as an event');
    await watcher.cancel();

    // Keep-alives at the interval the client asks for (seconds), while nothing changes.
    const quiet = await openWatch({ path: `${dir}/sub` }, { 'keepalive-ping-interval': '1' });
    await client.readUntil('filesystemWatchDir', quiet, (frame) => show(frame.payload) === show({ keepalive: {} }), 'a keep-alive within the interval asked for');
    await quiet.cancel();

    // A refusal is a stream too: 200, and its end-of-stream envelope holds the error.
    for (const [path, code] of [[`${dir}/uploaded.txt`, 'invalid_argument'], [`${dir}/missing`, 'not_found']]) {
      const refused = await openWatch({ path });
      const frames = await client.readToEnd('filesystemWatchDir', refused, `WatchDir of ${path}`);
      const end = frames[0]?.payload as { error?: { code: string } } | undefined;
      client.expect('filesystemWatchDir', frames.length === 1 && frames[0].flags === 0x02 && end?.error?.code === code, `WatchDir of ${path} sent ${show(frames.map((f) => [f.flags, f.payload]))}, expected only the end of the stream with ${code}`);
    }

    // Polled: a watcher collects changes until fetched; each fetch gives what came since.
    const created = await client.call('filesystemCreateWatcher', sandbox.envd({ json: { path: dir, includeEntry: true } }));
    const watcherId: unknown = created.json?.watcherId;
    client.expect('filesystemCreateWatcher', created.status === 200 && typeof watcherId === 'string' && watcherId.length > 0, `CreateWatcher answered ${created.status} ${created.text.slice(0, 120)}`);
    if (typeof watcherId !== 'string') return;
    context.cleanup(() => client.call('filesystemRemoveWatcher', sandbox.envd({ json: { watcherId }, untracked: true })));
    await sh(client, sandbox, context, `printf z > ${name}/polled.txt`);
    const fetchEvents = async () => {
      const res = await client.call('filesystemGetWatcherEvents', sandbox.envd({ json: { watcherId } }));
      return (res.status === 200 ? (res.json?.events ?? []) : []) as FsEvent[];
    };
    const polled = await waitUntil('the watcher to collect the CREATE of polled.txt', async () => (await fetchEvents()).find((e) => e.name === 'polled.txt' && e.type === 'EVENT_TYPE_CREATE')).catch((error: Error) => {
      client.expect('filesystemGetWatcherEvents', false, error.message);
      return undefined;
    });
    client.expect(
      'filesystemGetWatcherEvents',
      polled?.entry?.path === `${dir}/polled.txt` && polled.entry.type === 'FILE_TYPE_FILE',
      `the collected CREATE carries its entry (includeEntry): ${show(polled)}`,
    );
    const since = await fetchEvents();
    client.expect('filesystemGetWatcherEvents', !since.some((e) => e.name === 'polled.txt' && e.type === 'EVENT_TYPE_CREATE'), `a second fetch gives the CREATE again: ${show(since)}`);
    const removed = await client.call('filesystemRemoveWatcher', sandbox.envd({ json: { watcherId } }));
    client.expect('filesystemRemoveWatcher', removed.status === 200 && show(removed.json) === '{}', `RemoveWatcher answered ${removed.status} ${removed.text.slice(0, 120)}`);
    for (const op of ['filesystemGetWatcherEvents', 'filesystemRemoveWatcher']) {
      const gone = await client.call(op, sandbox.envd({ json: { watcherId } }));
      client.expect(op, gone.status === 404 && connectError(gone, 'not_found'), `${op} of a removed watcher answered ${gone.status} ${gone.text.slice(0, 120)}`);
    }
    const nowhere = await client.call('filesystemCreateWatcher', sandbox.envd({ json: { path: `${dir}/missing` } }));
    client.expect('filesystemCreateWatcher', nowhere.status === 404 && connectError(nowhere, 'not_found'), `CreateWatcher of a missing folder answered ${nowhere.status} ${nowhere.text.slice(0, 120)}`);
  },
};

/** Seconds from now to an ISO date. */
const secondsUntil = (date: unknown) => (typeof date === 'string' ? (Date.parse(date) - Date.now()) / 1000 : NaN);
/** Within a few seconds of `seconds` from now (the request's own time, and a daemon's rounding). */
const near = (date: unknown, seconds: number) => Math.abs(secondsUntil(date) - seconds) < 10;

const lifecycle: Scenario = {
  name: 'lifecycle',
  operations: ['createSandbox', 'createSandboxV1', 'listSandboxes', 'getSandbox', 'getSandboxMetrics', 'setSandboxTimeout', 'connectSandbox', 'connectSandboxV1', 'killSandbox', 'health', 'processStart', 'processConnect', 'processList', 'filesystemWatchDir'],
  async run(client, context) {
    const marker = context.unique('life');
    const sandbox = await createSandbox(client, context, { timeout: 120, metadata: { contract: marker } });
    const created = sandbox.created;
    client.expect(
      'createSandbox',
      (created.templateID === TEMPLATE || created.alias === TEMPLATE) && typeof created.envdVersion === 'string' && created.envdVersion.length > 0 && typeof created.clientID === 'string',
      `the new sandbox: ${show(created)}`,
    );
    const params = { sandboxID: sandbox.id };
    const get = () => client.call('getSandbox', { params });
    const listed = async () => {
      const res = await client.call('listSandboxes', { query: { metadata: `contract=${marker}` } });
      return { res, mine: ((Array.isArray(res.json) ? res.json : []) as Array<Record<string, any>>).filter((s) => s.sandboxID === sandbox.id) };
    };

    const list = await listed();
    const entry = list.mine[0];
    client.expect(
      'listSandboxes',
      list.res.status === 200 && list.mine.length === 1 && entry.state === 'running' && entry.metadata?.contract === marker && near(entry.endAt, 120) && Date.parse(entry.startedAt) <= Date.parse(entry.endAt),
      `listing by metadata gives the sandbox, running, ending 120 s on: ${show(list.res.json)}`,
    );
    const other = await client.call('listSandboxes', { query: { metadata: `contract=${marker}-other` } });
    client.expect('listSandboxes', other.status === 200 && Array.isArray(other.json) && !other.json.some((s: { sandboxID: string }) => s.sandboxID === sandbox.id), `other metadata lists ${show(other.json)}`);

    const details = await get();
    client.expect(
      'getSandbox',
      details.status === 200 && details.json?.sandboxID === sandbox.id && details.json.state === 'running' && details.json.metadata?.contract === marker && near(details.json.endAt, 120),
      `get answered ${details.status} ${show(details.json)}`,
    );

    // Metrics: samples of the sandbox's use; E2B takes one every few seconds, so poll until one is there.
    await waitUntil('a metrics sample', async () => {
      const res = await client.call('getSandboxMetrics', { params, untracked: true });
      return res.status === 200 && Array.isArray(res.json) && res.json.length > 0;
    }, 30_000, 500).catch(() => undefined);
    const metrics = await client.call('getSandboxMetrics', { params });
    const sample = Array.isArray(metrics.json) ? metrics.json.at(-1) : undefined;
    client.expect(
      'getSandboxMetrics',
      sample !== undefined && sample.cpuCount > 0 && sample.cpuUsedPct >= 0 && sample.cpuUsedPct <= 100 && sample.memTotal > 0 && sample.diskTotal >= sample.diskUsed && Math.abs(sample.timestampUnix - Date.now() / 1000) < 120,
      `the sandbox's metrics answered ${metrics.status} ${show(metrics.json)}`,
    );
    const future = Math.floor(Date.now() / 1000) + 3600;
    const none = await client.call('getSandboxMetrics', { params, query: { start: String(future), end: String(future + 60) } });
    client.expect('getSandboxMetrics', none.status === 200 && show(none.json) === '[]', `metrics for an hour from now answered ${none.status} ${none.text.slice(0, 120)}`);

    // The timeout is set from now, shorter or longer.
    for (const seconds of [600, 60]) {
      const set = await client.call('setSandboxTimeout', { params, json: { timeout: seconds } });
      const after = await get();
      client.expect('setSandboxTimeout', set.status === 204 && near(after.json?.endAt, seconds), `a timeout of ${seconds} s answered ${set.status}; the sandbox then ends in ${secondsUntil(after.json?.endAt).toFixed(0)} s`);
    }
    const badTimeout = await client.call('setSandboxTimeout', { params, json: { timeout: 'soon' } });
    client.expect('setSandboxTimeout', apiError(badTimeout, 400), `a timeout that is no number answered ${badTimeout.status} ${badTimeout.text.slice(0, 120)}`);

    // Connect gives the way to the sandbox, and extends its life; it never shortens it.
    const connect = await client.call('connectSandbox', { params, json: { timeout: 900 } });
    const extended = await get();
    client.expect(
      'connectSandbox',
      connect.status === 200 && connect.json?.sandboxID === sandbox.id && typeof connect.json.envdVersion === 'string' && near(extended.json?.endAt, 900),
      `connect with 900 s answered ${connect.status} ${show(connect.json)}; the sandbox then ends in ${secondsUntil(extended.json?.endAt).toFixed(0)} s`,
    );
    const connectV1 = await client.call('connectSandboxV1', { params, json: { timeout: 30 } });
    const kept = await get();
    client.expect(
      'connectSandboxV1',
      connectV1.status === 200 && connectV1.json?.sandboxID === sandbox.id && near(kept.json?.endAt, 900),
      `connect with 30 s to a sandbox ending in 900 s answered ${connectV1.status}; it then ends in ${secondsUntil(kept.json?.endAt).toFixed(0)} s (connect extends, never shortens)`,
    );
    const connected = sandboxAt(sandbox.id, connect.json?.envdAccessToken ?? created.envdAccessToken);
    const health = await client.call('health', connected.envd());
    client.expect('connectSandbox', health.status === 204, `envd of the connected sandbox answered ${health.status}`);

    // The document's older create path.
    const v1 = await createSandbox(client, context, { timeout: 60, metadata: { contract: `${marker}-v1` } }, 'createSandboxV1');
    const v1Details = await client.call('getSandbox', { params: { sandboxID: v1.id } });
    client.expect('createSandboxV1', v1Details.status === 200 && v1Details.json?.state === 'running' && near(v1Details.json.endAt, 60), `the sandbox made by the older path: ${v1Details.status} ${show(v1Details.json)}`);

    const missingTemplate = await client.call('createSandbox', { json: { timeout: 30 } });
    client.expect('createSandbox', apiError(missingTemplate, 400), `a create without templateID answered ${missingTemplate.status} ${missingTemplate.text.slice(0, 120)}`);
    const tooLong = await client.call('createSandbox', { json: { templateID: TEMPLATE, timeout: 1e20 } });
    if (typeof tooLong.json?.sandboxID === 'string') context.cleanup(() => client.call('killSandbox', { params: { sandboxID: tooLong.json.sandboxID }, untracked: true }));
    client.expect('createSandbox', apiError(tooLong, 400), `a timeout beyond int32 answered ${tooLong.status} ${tooLong.text.slice(0, 120)}`);

    // Kill: the sandbox is gone from the API (404) and from envd (E2B's proxy answers 502).
    const killed = await client.call('killSandbox', { params });
    client.expect('killSandbox', killed.status === 204 && killed.text === '', `kill answered ${killed.status} ${killed.text.slice(0, 120)}`);
    const gone = await get();
    client.expect('getSandbox', apiError(gone, 404), `a killed sandbox answered get with ${gone.status} ${gone.text.slice(0, 120)}`);
    const twice = await client.call('killSandbox', { params });
    client.expect('killSandbox', apiError(twice, 404), `killing a killed sandbox answered ${twice.status} ${twice.text.slice(0, 120)}`);
    const lateTimeout = await client.call('setSandboxTimeout', { params, json: { timeout: 60 } });
    client.expect('setSandboxTimeout', apiError(lateTimeout, 404), `a timeout for a killed sandbox answered ${lateTimeout.status}`);
    for (const op of ['connectSandbox', 'connectSandboxV1']) {
      const late = await client.call(op, { params, json: { timeout: 60 } });
      client.expect(op, apiError(late, 404), `connecting to a killed sandbox answered ${late.status} ${late.text.slice(0, 120)}`);
    }
    const afterKill = await listed();
    client.expect('listSandboxes', afterKill.res.status === 200 && afterKill.mine.length === 0, `a killed sandbox is still listed: ${show(afterKill.mine)}`);
    await expectNoSandbox(client, connected, 'killed');
  },
};

/** envd of a sandbox that does not run: E2B's proxy answers 502 before envd, on every route. */
async function expectNoSandbox(client: SpecClient, sandbox: E2bSandbox, what: string): Promise<void> {
  const proxied = (res: CallResult) => res.status === 502 && res.json?.code === 502 && typeof res.json?.message === 'string';
  const health = await client.call('health', sandbox.envd());
  client.expect('health', proxied(health), `envd of a ${what} sandbox answered ${health.status} ${health.text.slice(0, 120)}`);
  const list = await client.call('processList', sandbox.envd({ json: {} }));
  client.expect('processList', proxied(list), `List in a ${what} sandbox answered ${list.status} ${list.text.slice(0, 120)}`);
  const streams: Array<[string, unknown]> = [
    ['processStart', { process: { cmd: 'true' }, stdin: false }],
    ['processConnect', { process: { pid: UNKNOWN_PID } }],
    ['filesystemWatchDir', { path: '/home/user' }],
  ];
  for (const [op, message] of streams) {
    const res = await client.stream(op, sandbox.envd({ raw: connectEnvelope(message), headers: STREAM_HEADERS }));
    if ('reader' in res) {
      await res.reader.cancel();
      client.expect(op, false, `${op} in a ${what} sandbox answered a stream, not the proxy's 502`);
    } else {
      client.expect(op, proxied(res), `${op} in a ${what} sandbox answered ${res.status} ${res.text.slice(0, 120)}`);
    }
  }
}

const unknownSandboxes: Scenario = {
  name: 'unknown sandboxes',
  operations: ['getSandbox', 'getSandboxMetrics', 'killSandbox', 'setSandboxTimeout', 'connectSandbox', 'connectSandboxV1', 'listSandboxes', 'health', 'processStart', 'processConnect', 'processList', 'filesystemWatchDir'],
  async run(client, context) {
    // E2B's ids are lower-case letters and digits; this one was never handed out.
    const sandboxID = context.unique('nosuch').replace(/[^a-z0-9]/g, '');
    const calls: Array<[string, CallOptions]> = [
      ['getSandbox', {}],
      ['getSandboxMetrics', {}],
      ['killSandbox', {}],
      ['setSandboxTimeout', { json: { timeout: 30 } }],
      ['connectSandbox', { json: { timeout: 30 } }],
      ['connectSandboxV1', { json: { timeout: 30 } }],
    ];
    for (const [op, options] of calls) {
      const res = await client.call(op, { ...options, params: { sandboxID } });
      // The SDK tells a missing sandbox by this `code: 404` in the body.
      client.expect(op, apiError(res, 404), `an unknown sandbox answered ${res.status} ${res.text.slice(0, 160)}`);
    }
    const list = await client.call('listSandboxes', { query: { metadata: `contract=${sandboxID}` } });
    client.expect('listSandboxes', list.status === 200 && Array.isArray(list.json) && list.json.length === 0, `listing by metadata no sandbox has answered ${list.status} ${list.text.slice(0, 120)}`);
    await expectNoSandbox(client, sandboxAt(sandboxID), 'never made');
  },
};

/** The signature the SDK's downloadUrl/uploadUrl put on a /files URL (the rule specs/e2b-envd.yaml states). */
function fileSignature(path: string, operation: 'read' | 'write', user: string, token: string, expiration?: number): string {
  const raw = [path, operation, user, token, ...(expiration === undefined ? [] : [expiration])].join(':');
  return `v1_${createHash('sha256').update(raw).digest('base64').replace(/=+$/, '')}`;
}

const secureAccess: Scenario = {
  name: 'secure access',
  operations: ['createSandbox', 'health', 'processList', 'filesUpload', 'filesDownload'],
  async run(client, context) {
    // A sandbox made without `secure` by the /v2 path is secure: the SDK's default since v2.
    const sandbox = await createSandbox(client, context, { timeout: 120, metadata: { contract: 'secure-access' } });
    const token: unknown = sandbox.created.envdAccessToken;
    client.expect('createSandbox', typeof token === 'string' && token.length > 0, `a sandbox made by POST /v2/sandboxes carries an envdAccessToken: ${show(sandbox.created)}`);
    if (typeof token !== 'string') return;
    const bare = sandboxAt(sandbox.id);
    const refused = (res: CallResult, message: string | RegExp) => res.status === 401 && res.json?.code === 401 && (typeof message === 'string' ? res.json.message === message : message.test(res.json?.message ?? ''));

    for (const [what, headers] of [['no token', {}], ['a wrong token', { 'X-Access-Token': 'not-the-token' }]] as const) {
      const list = await client.call('processList', bare.envd({ json: {}, headers }));
      client.expect('processList', refused(list, /^unauthorized access, please provide a valid access token/), `List with ${what} answered ${list.status} ${list.text.slice(0, 160)}`);
    }
    const allowed = await client.call('processList', sandbox.envd({ json: {} }));
    client.expect('processList', allowed.status === 200, `List with the token answered ${allowed.status} ${allowed.text.slice(0, 120)}`);
    const health = await client.call('health', bare.envd());
    client.expect('health', health.status === 204, `/health without a token answered ${health.status}: envd lets it through`);

    // /files by a signed URL, as a browser fetches one the SDK made: no token anywhere.
    const path = `/home/user/${context.unique('signed')}.txt`;
    const expires = Math.floor(Date.now() / 1000) + 120;
    const written = await client.call('filesUpload', bare.envd({
      query: { path, signature: fileSignature(path, 'write', '', token, expires), signature_expiration: String(expires) },
      raw: Buffer.from('signed'),
      headers: { 'content-type': 'application/octet-stream' },
    }));
    client.expect('filesUpload', written.status === 200 && written.json?.[0]?.path === path, `an upload by a signed URL answered ${written.status} ${written.text.slice(0, 160)}`);
    const read = await client.call('filesDownload', bare.envd({ query: { path, signature: fileSignature(path, 'read', '', token) } }));
    client.expect('filesDownload', read.status === 200 && read.text === 'signed', `a download by a signed URL answered ${read.status} ${read.text.slice(0, 120)}`);
    const past = Math.floor(Date.now() / 1000) - 10;
    const expired = await client.call('filesDownload', bare.envd({ query: { path, signature: fileSignature(path, 'read', '', token, past), signature_expiration: String(past) } }));
    client.expect('filesDownload', refused(expired, 'signature is already expired'), `an expired signed URL answered ${expired.status} ${expired.text.slice(0, 160)}`);
    const forged = await client.call('filesDownload', bare.envd({ query: { path, signature: fileSignature(path, 'read', '', 'another-token') } }));
    client.expect('filesDownload', refused(forged, 'invalid signature'), `a URL signed with another token answered ${forged.status} ${forged.text.slice(0, 160)}`);
    const unsigned = await client.call('filesDownload', bare.envd({ query: { path } }));
    client.expect('filesDownload', refused(unsigned, 'missing signature query parameter'), `an unsigned download answered ${unsigned.status} ${unsigned.text.slice(0, 160)}`);
  },
};

const pause: Scenario = {
  name: 'pause',
  operations: ['pauseSandbox', 'connectSandbox', 'getSandbox', 'listSandboxes', 'health', 'processConnect', 'processSendInput'],
  async run(client, context) {
    const marker = context.unique('pause');
    const sandbox = await createSandbox(client, context, { timeout: 120, metadata: { contract: marker } });
    const params = { sandboxID: sandbox.id };
    const script = 'echo ready; read line; echo "got $line"; exec sleep 300';
    const started = await openEvents(client, sandbox, context, 'processStart', { process: { cmd: 'sh', args: ['-c', script] }, stdin: true });
    const pid = await started.started('a command waiting on its stdin');
    await started.output('ready\n', 'the command before the pause');

    const paused = await client.call('pauseSandbox', { params, json: {} });
    client.expect('pauseSandbox', paused.status === 204, `pause answered ${paused.status} ${paused.text.slice(0, 120)}`);
    const again = await client.call('pauseSandbox', { params, json: {} });
    client.expect('pauseSandbox', apiError(again, 409), `pausing a paused sandbox answered ${again.status} ${again.text.slice(0, 160)}`);
    const details = await client.call('getSandbox', { params });
    client.expect('getSandbox', details.status === 200 && details.json?.state === 'paused', `a paused sandbox's details: ${details.status} ${show(details.json)}`);
    const listed = async (state?: string) => {
      const res = await client.call('listSandboxes', { query: { metadata: `contract=${marker}`, ...(state && { state }) } });
      return ((Array.isArray(res.json) ? res.json : []) as Array<{ sandboxID: string; state: string }>).filter((s) => s.sandboxID === sandbox.id).map((s) => s.state);
    };
    const [running, both] = [await listed(), await listed('running,paused')];
    client.expect('listSandboxes', show(running) === '[]' && show(both) === '["paused"]', `listing running only: ${show(running)}; running and paused: ${show(both)}`);
    const health = await client.call('health', sandbox.envd());
    client.expect('health', health.status === 502, `envd of a paused sandbox answered ${health.status}: the proxy reaches no machine`);

    const resumed = await client.call('connectSandbox', { params, json: { timeout: 120 } });
    client.expect('connectSandbox', resumed.status === 201 && resumed.json?.sandboxID === sandbox.id, `connect to a paused sandbox answered ${resumed.status} ${show(resumed.json)}: 201, resumed`);
    const plain = await client.call('connectSandbox', { params, json: { timeout: 120 } });
    client.expect('connectSandbox', plain.status === 200, `connect to the resumed sandbox answered ${plain.status}: 200, it runs`);
    // The process went on where it was: it still reads the line it waited for.
    const follow = await openEvents(client, sandbox, context, 'processConnect', { process: { pid } });
    await follow.started('connecting to the command after the resume');
    const input = await client.call('processSendInput', sandbox.envd({ json: { process: { pid }, input: { stdin: base64('after\n') } } }));
    client.expect('processSendInput', input.status === 200, `SendInput after the resume answered ${input.status} ${input.text.slice(0, 120)}`);
    await follow.output('got after\n', 'the command after the resume');
  },
};

const AUTH_OPERATIONS = ['createSandbox', 'createSandboxV1', 'listSandboxes', 'getSandbox', 'killSandbox', 'setSandboxTimeout', 'connectSandbox', 'connectSandboxV1'];

const auth: Scenario = {
  name: 'auth',
  operations: AUTH_OPERATIONS,
  async run(client, context) {
    if (!Object.keys(client.target.headers ?? {}).some((h) => h.toLowerCase() === KEY_HEADER.toLowerCase())) {
      // A target that takes no key (an emulator at a URL started without --e2b-token) has no 401 to check.
      for (const op of AUTH_OPERATIONS) client.recorder.skip(op, `the target is called without ${KEY_HEADER}, so its 401 answers were not checked`);
      return;
    }
    const headers = { [KEY_HEADER]: 'e2b_wrong_key' };
    const sandboxID = context.unique('nosuch').replace(/[^a-z0-9]/g, '');
    const calls: Array<[string, CallOptions]> = [
      ['createSandbox', { json: { templateID: TEMPLATE, timeout: 30 } }],
      ['createSandboxV1', { json: { templateID: TEMPLATE, timeout: 30 } }],
      ['listSandboxes', {}],
      ['getSandbox', { params: { sandboxID } }],
      ['killSandbox', { params: { sandboxID } }],
      ['setSandboxTimeout', { params: { sandboxID }, json: { timeout: 30 } }],
      ['connectSandbox', { params: { sandboxID }, json: { timeout: 30 } }],
      ['connectSandboxV1', { params: { sandboxID }, json: { timeout: 30 } }],
    ];
    for (const [op, options] of calls) {
      const res = await client.call(op, { ...options, headers });
      if (typeof res.json?.sandboxID === 'string') context.cleanup(() => client.call('killSandbox', { params: { sandboxID: res.json.sandboxID }, untracked: true }));
      client.expect(op, apiError(res, 401), `a call with a wrong API key answered ${res.status} ${res.text.slice(0, 120)}`);
    }
  },
};

export const e2bSuite: ContractSuite = {
  provider: 'e2b',
  async surfaces(specsDir) {
    return [
      { mountId: 'e2b-api', spec: await loadSpec(join(specsDir, 'e2b.yaml')) },
      { mountId: 'e2b-envd', spec: await loadSpec(join(specsDir, 'e2b-envd.yaml')) },
    ];
  },
  scenarios: [commands, background, stdin, pty, unknownPids, files, watch, lifecycle, secureAccess, pause, unknownSandboxes, auth],
  emulator: { auth: { token: CONTRACT_KEY, headers: { [KEY_HEADER]: CONTRACT_KEY } } },
};
