import { join } from 'node:path';
import { loadSpec } from '../../emulator/openapi/load-spec.ts';
import type { ContractSuite, Scenario } from '../kit/contract-suite.ts';
import { ScenarioStop, type SpecClient } from '../kit/spec-client.ts';
import type { StreamFrame, StreamReader } from '../kit/stream-reader.ts';
import { waitUntil } from '../kit/wait-until.ts';

// The Tensorlake contract: what our document (specs/tensorlake.yaml) promises for the sandbox
// runtime API and the local lifecycle subset, checked against any target. Each scenario drives
// real commands (argv, no shell) and checks what came back.

/** The namespace the SDKs use when INDEXIFY_NAMESPACE is not set. */
const NAMESPACE = 'default';

/** An int32 pid no kernel hands out (pid_max is at most 2^22), so no process can hold it. */
const UNKNOWN_PID = 2_147_480_000;

const FOLLOWS = {
  stdout: 'sandbox_process_stdout_follow',
  stderr: 'sandbox_process_stderr_follow',
  output: 'sandbox_process_output_follow',
} as const;
type Which = keyof typeof FOLLOWS;
const WHICH: Which[] = ['stdout', 'stderr', 'output'];

interface ProcessInfo {
  handle: number;
  pid: number;
  status: 'running' | 'exited' | 'signaled' | 'oom_killed';
  exit_code: number | null;
  signal: number | null;
  stdin_writable: boolean;
  command: string;
  args: string[];
  started_at: number;
  ended_at: number | null;
}

interface OutputEvent {
  line: string;
  timestamp: number;
  stream?: 'stdout' | 'stderr';
}

/** Starts a process (argv, no shell) and registers its kill for clean-up. */
async function start(client: SpecClient, sandbox: string, cleanup: (task: () => Promise<unknown>) => void, body: object): Promise<ProcessInfo> {
  const res = await client.call('sandbox_process_start', { vars: { sandbox }, json: body });
  if (res.status !== 201) throw new Error(`starting ${JSON.stringify(body)} answered ${res.status}: ${res.text}`);
  const info = res.json as ProcessInfo;
  cleanup(() => client.call('sandbox_process_kill', { vars: { sandbox }, params: { pid: info.pid }, untracked: true }));
  return info;
}

/** Polls until the process has ended (the API offers no event for a status change). */
async function finished(client: SpecClient, sandbox: string, pid: number | string): Promise<ProcessInfo> {
  return waitUntil(`process ${pid} to end`, async () => {
    const res = await client.call('sandbox_process_get', { vars: { sandbox }, params: { pid }, untracked: true });
    return res.status === 200 && res.json?.status !== 'running' && res.json?.ended_at ? (res.json as ProcessInfo) : undefined;
  });
}

/** Captured lines of one process (tracked: every answer is checked against the document). */
async function captured(client: SpecClient, sandbox: string, which: Which, pid: number) {
  const op = `sandbox_process_${which}`;
  const res = await client.call(op, { vars: { sandbox }, params: { pid } });
  return { op, status: res.status, json: res.json as { pid: number; lines: string[]; line_count: number } | undefined };
}

/** Opens a follow stream; an answer that is no stream fails the behaviour check and stops the scenario. */
async function follow(client: SpecClient, sandbox: string, which: Which, pid: number, cleanup: (task: () => Promise<unknown>) => void): Promise<StreamReader> {
  const op = FOLLOWS[which];
  const res = await client.stream(op, { vars: { sandbox }, params: { pid }, headers: { accept: 'text/event-stream' } });
  if (!('reader' in res)) {
    client.expect(op, false, `following a running process answered ${res.status} ${res.mediaType}, not an event stream`);
    throw new ScenarioStop(`${op} answered ${res.status}`);
  }
  const reader = res.reader;
  cleanup(() => reader.cancel());
  return reader;
}

const mentions = (text: string) => (frame: StreamFrame) => frame.raw.includes(text);

/**
 * Why a follow frame is not exactly this output line, or undefined: `event: output`, the line, a
 * `timestamp` that is its capture time in ms (not 0: the document says the capture time, for
 * replayed lines too), and a `stream` tag on /output/follow only.
 */
function outputFrameProblem(which: Which, frame: StreamFrame | undefined, line: string, stream: 'stdout' | 'stderr', startedAt: number): string | undefined {
  if (!frame) return `no frame for '${line}'`;
  const p = (frame.payload ?? {}) as OutputEvent;
  if (frame.event !== 'output') return `the frame for '${line}' is event ${JSON.stringify(frame.event)}, not 'output': ${frame.raw}`;
  if (p.line !== line) return `expected the line '${line}', got ${JSON.stringify(p.line)}`;
  if (which === 'output' && p.stream !== stream) return `'${line}' is tagged ${JSON.stringify(p.stream)}, expected '${stream}'`;
  if (which !== 'output' && 'stream' in p) return `'${line}' carries a stream tag, which only /output/follow sends: ${frame.raw}`;
  // A second of slack below started_at: a daemon may round its start time.
  if (!Number.isInteger(p.timestamp) || p.timestamp < startedAt - 1000) {
    return `'${line}' carries timestamp ${p.timestamp}, not its capture time in ms (the process started at ${startedAt})`;
  }
  return undefined;
}

function isEof(frame: StreamFrame | undefined): boolean {
  return frame?.event === 'eof' && typeof frame.payload === 'object' && frame.payload !== null && Object.keys(frame.payload).length === 0;
}

const startAndOutput: Scenario = {
  name: 'start and output',
  operations: ['sandbox_process_start', 'sandbox_process_get', 'sandbox_process_list', 'sandbox_process_stdout', 'sandbox_process_stderr', 'sandbox_process_output'],
  async run(client, { sandbox, cleanup }) {
    // Two pipes carry no order of their own, so the process writes its next line only after the
    // suite saw the one before (a line on stdin lets it go on): the real order is the script's.
    const script = 'echo alpha; read x; echo bravo >&2; read x; echo charlie; exit 3';
    const mixed = await start(client, sandbox, cleanup, { command: 'sh', args: ['-c', script], stdin_mode: 'pipe' });
    client.expect(
      'sandbox_process_start',
      mixed.status === 'running' && mixed.command === 'sh' && JSON.stringify(mixed.args) === JSON.stringify(['-c', script]) && mixed.stdin_writable === true,
      `a fresh process reports status ${mixed.status}, command ${mixed.command}, args ${JSON.stringify(mixed.args)}, stdin_writable ${mixed.stdin_writable}`,
    );
    const lines = await follow(client, sandbox, 'output', mixed.pid, cleanup);
    for (const line of ['alpha', 'bravo']) {
      await client.readUntil(FOLLOWS.output, lines, mentions(line), `the line '${line}'`);
      await client.call('sandbox_process_stdin', { vars: { sandbox }, params: { pid: mixed.pid }, raw: new TextEncoder().encode('\n') });
    }
    await lines.cancel();
    // Argv, no shell: every metacharacter reaches the program as it was sent.
    const literal = ['$HOME', 'a;b', '*', '`id`'];
    const noShell = await start(client, sandbox, cleanup, { command: 'echo', args: literal });
    client.expect('sandbox_process_start', noShell.stdin_writable === false, `a process started without stdin_mode reports stdin_writable ${noShell.stdin_writable}`);
    const placed = await start(client, sandbox, cleanup, {
      command: 'sh',
      args: ['-c', 'pwd; printf "%s\\n" "$CONTRACT_VAR"'],
      working_dir: '/tmp',
      env: { CONTRACT_VAR: 'value with spaces' },
    });
    const discarded = await start(client, sandbox, cleanup, { command: 'sh', args: ['-c', 'echo out; echo err >&2'], stdout_mode: 'discard' });

    const ended = await finished(client, sandbox, mixed.pid);
    for (const p of [noShell, placed, discarded]) await finished(client, sandbox, p.pid);

    const got = await client.call('sandbox_process_get', { vars: { sandbox }, params: { pid: mixed.pid } });
    const info = got.json as ProcessInfo | undefined;
    client.expect('sandbox_process_get', got.status === 200 && info?.pid === mixed.pid && info?.handle === mixed.handle, `get answered ${got.status} for pid ${info?.pid}, handle ${info?.handle}`);
    client.expect(
      'sandbox_process_get',
      info?.status === 'exited' && info.exit_code === 3 && info.signal === null,
      `a command exiting 3 reports status ${info?.status}, exit_code ${info?.exit_code}, signal ${info?.signal}`,
    );
    client.expect(
      'sandbox_process_get',
      typeof info?.ended_at === 'number' && info.ended_at >= info.started_at && info.started_at === mixed.started_at && ended.ended_at === info.ended_at,
      `started_at ${info?.started_at} and ended_at ${info?.ended_at} of an exited process`,
    );

    const stdout = await captured(client, sandbox, 'stdout', mixed.pid);
    client.expect('sandbox_process_stdout', stdout.json?.pid === mixed.pid && sameLines(stdout.json, ['alpha', 'charlie']), `stdout of the process: ${JSON.stringify(stdout.json)}`);
    const stderr = await captured(client, sandbox, 'stderr', mixed.pid);
    client.expect('sandbox_process_stderr', stderr.json?.pid === mixed.pid && sameLines(stderr.json, ['bravo']), `stderr of the process: ${JSON.stringify(stderr.json)}`);
    const output = await captured(client, sandbox, 'output', mixed.pid);
    client.expect(
      'sandbox_process_output',
      output.json?.pid === mixed.pid && sameLines(output.json, ['alpha', 'bravo', 'charlie']),
      `output merges both streams in the order they were written (alpha, bravo, charlie): got ${JSON.stringify(output.json?.lines)}`,
    );

    const echoed = await captured(client, sandbox, 'stdout', noShell.pid);
    client.expect('sandbox_process_start', sameLines(echoed.json, [literal.join(' ')]), `argv reaches the program without a shell: echo printed ${JSON.stringify(echoed.json?.lines)}`);
    const where = await captured(client, sandbox, 'stdout', placed.pid);
    client.expect('sandbox_process_start', sameLines(where.json, ['/tmp', 'value with spaces']), `working_dir and env apply: printed ${JSON.stringify(where.json?.lines)}`);
    const none = await captured(client, sandbox, 'stdout', discarded.pid);
    client.expect('sandbox_process_stdout', sameLines(none.json, []), `stdout_mode discard captures nothing: ${JSON.stringify(none.json?.lines)}`);
    const kept = await captured(client, sandbox, 'stderr', discarded.pid);
    client.expect('sandbox_process_stderr', sameLines(kept.json, ['err']), `stderr is still captured when only stdout is discarded: ${JSON.stringify(kept.json?.lines)}`);

    const list = await client.call('sandbox_process_list', { vars: { sandbox } });
    const listed = (list.json?.processes ?? []) as ProcessInfo[];
    const mine = listed.find((p) => p.pid === mixed.pid);
    client.expect('sandbox_process_list', list.status === 200 && mine?.status === 'exited' && mine.exit_code === 3, `the list holds the exited process with its exit code: ${JSON.stringify(mine)}`);
    client.expect(
      'sandbox_process_list',
      [noShell, placed, discarded].every((p) => listed.some((l) => l.pid === p.pid)),
      'the list holds every process the scenario started',
    );
  },
};

function sameLines(json: { lines: string[]; line_count: number } | undefined, want: string[]): boolean {
  return JSON.stringify(json?.lines) === JSON.stringify(want) && json?.line_count === want.length;
}

const invalidInput: Scenario = {
  name: 'invalid input',
  operations: ['sandbox_process_start', 'sandbox_process_run', 'sandbox_process_signal'],
  async run(client, { sandbox, cleanup }) {
    const vars = { sandbox };
    const isError = (json: any) => typeof json?.error === 'string';
    for (const op of ['sandbox_process_start', 'sandbox_process_run']) {
      const malformed = await client.call(op, { vars, raw: '{"command": ', headers: { 'content-type': 'application/json' } });
      client.expect(op, malformed.status === 400 && isError(malformed.json), `malformed JSON answered ${malformed.status} ${malformed.text.slice(0, 80)}`);
      const missing = await client.call(op, { vars, json: { args: ['x'] } });
      client.expect(op, missing.status === 422 && isError(missing.json), `a body without command answered ${missing.status}`);
      const wrongType = await client.call(op, { vars, json: { command: 'echo', args: 'x' } });
      client.expect(op, wrongType.status === 422 && isError(wrongType.json), `args of the wrong type answered ${wrongType.status}`);
      const untyped = await client.call(op, { vars, raw: JSON.stringify({ command: 'true' }), headers: { 'content-type': 'text/plain' } });
      client.expect(op, untyped.status === 415 && isError(untyped.json), `a JSON body sent as text/plain answered ${untyped.status}`);
      const unknown = await client.call(op, { vars, json: { command: '/nonexistent/contract-program' } });
      client.expect(op, unknown.status === 500 && isError(unknown.json), `a command that does not exist answered ${unknown.status}`);
    }
    // A managed-process name that is all digits could not be told from a pid.
    const digits = await client.call('sandbox_process_start', { vars, json: { command: 'true', name: '12345' } });
    client.expect('sandbox_process_start', digits.status === 422, `an all-digit name answered ${digits.status}`);

    const target = await start(client, sandbox, cleanup, { command: 'sleep', args: ['60'] });
    const params = { pid: target.pid };
    const badNumber = await client.call('sandbox_process_signal', { vars, params, json: { signal: 999 } });
    client.expect('sandbox_process_signal', badNumber.status === 400 && isError(badNumber.json), `signal 999 answered ${badNumber.status}`);
    const malformed = await client.call('sandbox_process_signal', { vars, params, raw: '{"signal": ', headers: { 'content-type': 'application/json' } });
    client.expect('sandbox_process_signal', malformed.status === 400 && isError(malformed.json), `malformed JSON answered ${malformed.status}`);
    const missing = await client.call('sandbox_process_signal', { vars, params, json: {} });
    client.expect('sandbox_process_signal', missing.status === 422 && isError(missing.json), `a body without signal answered ${missing.status}`);
    const untyped = await client.call('sandbox_process_signal', { vars, params, raw: '{"signal": 15}', headers: { 'content-type': 'text/plain' } });
    client.expect('sandbox_process_signal', untyped.status === 415 && isError(untyped.json), `a JSON body sent as text/plain answered ${untyped.status}`);
    const still = await client.call('sandbox_process_get', { vars, params, untracked: true });
    client.expect('sandbox_process_signal', still.json?.status === 'running', `a refused signal leaves the process running (it reports ${still.json?.status})`);
  },
};

const unknownIds: Scenario = {
  name: 'unknown ids',
  operations: [
    'sandbox_process_get',
    'sandbox_process_kill',
    'sandbox_process_signal',
    'sandbox_process_stdin',
    'sandbox_process_stdin_close',
    'sandbox_process_stdout',
    'sandbox_process_stderr',
    'sandbox_process_output',
    ...Object.values(FOLLOWS),
  ],
  async run(client, { sandbox, unique }) {
    const vars = { sandbox };
    const params = { pid: UNKNOWN_PID };
    const notFound = (op: string, res: { status: number; json: any }, what = 'an unknown pid') =>
      client.expect(op, res.status === 404 && typeof res.json?.error === 'string', `${what} answered ${res.status}${res.status === 200 ? ` ${JSON.stringify(res.json)}` : ''}`);

    for (const op of ['sandbox_process_get', 'sandbox_process_kill', 'sandbox_process_stdin_close', 'sandbox_process_stdout', 'sandbox_process_stderr', 'sandbox_process_output']) {
      notFound(op, await client.call(op, { vars, params }));
    }
    notFound('sandbox_process_signal', await client.call('sandbox_process_signal', { vars, params, json: { signal: 15 } }));
    notFound('sandbox_process_stdin', await client.call('sandbox_process_stdin', { vars, params, raw: new TextEncoder().encode('x') }));
    // The segment is a pid or a managed-process name: an unknown name is as unknown.
    notFound('sandbox_process_get', await client.call('sandbox_process_get', { vars, params: { pid: unique('no-such-name') } }), 'an unknown name');

    for (const which of WHICH) {
      const op = FOLLOWS[which];
      const res = await client.stream(op, { vars, params, headers: { accept: 'text/event-stream' } });
      if ('reader' in res) {
        // Read what came (an eof, say) so the report can show it, then let the connection go.
        const frames = await res.reader.rest(client.streamTimeoutMs).catch(() => [] as StreamFrame[]);
        await res.reader.cancel();
        client.expect(op, false, `an unknown pid answered ${res.status} ${res.mediaType} with ${JSON.stringify(frames.map((f) => f.raw))}, not 404`);
      } else {
        notFound(op, res);
      }
    }
  },
};

const killAndSignal: Scenario = {
  name: 'kill and signal',
  operations: ['sandbox_process_signal', 'sandbox_process_kill', 'sandbox_process_get'],
  async run(client, { sandbox, unique, cleanup }) {
    const vars = { sandbox };
    const termed = await start(client, sandbox, cleanup, { command: 'sleep', args: ['60'] });
    client.expect('sandbox_process_get', termed.status === 'running' && termed.exit_code === null && termed.ended_at === null, `a fresh sleep reports ${termed.status}`);
    const signal = await client.call('sandbox_process_signal', { vars, params: { pid: termed.pid }, json: { signal: 15 } });
    client.expect('sandbox_process_signal', signal.status === 200 && signal.json?.success === true, `SIGTERM answered ${signal.status} ${signal.text}`);
    const afterTerm = await finished(client, sandbox, termed.pid);
    client.expect(
      'sandbox_process_signal',
      afterTerm.status === 'signaled' && afterTerm.signal === 15 && afterTerm.exit_code === null,
      `after SIGTERM the process reports status ${afterTerm.status}, signal ${afterTerm.signal}, exit_code ${afterTerm.exit_code}`,
    );
    const again = await client.call('sandbox_process_signal', { vars, params: { pid: termed.pid }, json: { signal: 15 } });
    client.expect('sandbox_process_signal', again.status === 400 && typeof again.json?.error === 'string', `signalling a process that has ended answered ${again.status}`);

    // Addressed by its managed-process name: get and kill take a name as well as a pid.
    const name = unique('named');
    const killed = await start(client, sandbox, cleanup, { command: 'sleep', args: ['60'], name });
    const byName = await client.call('sandbox_process_get', { vars, params: { pid: name } });
    client.expect('sandbox_process_get', byName.status === 200 && byName.json?.pid === killed.pid, `get by name '${name}' answered ${byName.status} with pid ${byName.json?.pid}`);
    const kill = await client.call('sandbox_process_kill', { vars, params: { pid: name } });
    client.expect('sandbox_process_kill', kill.status === 204 && kill.text === '', `kill answered ${kill.status} ${JSON.stringify(kill.text.slice(0, 80))}`);
    // A kill may reap the record at once (a later get answering 404); a record still there says SIGKILL.
    const afterKill = await waitUntil(`process ${killed.pid} to end`, async () => {
      const res = await client.call('sandbox_process_get', { vars, params: { pid: killed.pid }, untracked: true });
      return res.status === 404 ? 'reaped' : res.json?.status !== 'running' && res.json?.ended_at ? (res.json as ProcessInfo) : undefined;
    });
    client.expect(
      'sandbox_process_kill',
      afterKill === 'reaped' || (afterKill.status === 'signaled' && afterKill.signal === 9),
      `after a kill the process reports ${JSON.stringify(afterKill)}`,
    );

    // Killing a process that has already exited: nothing is left to kill, 204.
    const exited = await start(client, sandbox, cleanup, { command: 'true' });
    await finished(client, sandbox, exited.pid);
    const late = await client.call('sandbox_process_kill', { vars, params: { pid: exited.pid } });
    client.expect('sandbox_process_kill', late.status === 204, `killing a process that had already exited answered ${late.status} ${late.text.slice(0, 80)}`);
  },
};

const stdin: Scenario = {
  name: 'stdin',
  operations: ['sandbox_process_stdin', 'sandbox_process_stdin_close', 'sandbox_process_start'],
  async run(client, { sandbox, cleanup }) {
    const vars = { sandbox };
    const cat = await start(client, sandbox, cleanup, { command: 'cat', stdin_mode: 'pipe' });
    client.expect('sandbox_process_start', cat.status === 'running' && cat.stdin_writable === true, `a process started with stdin_mode pipe reports stdin_writable ${cat.stdin_writable}`);
    const params = { pid: cat.pid };
    const lines = await follow(client, sandbox, 'stdout', cat.pid, cleanup);
    // As the SDKs send it (raw bytes, no Content-Type), then as the docs show it.
    const first = await client.call('sandbox_process_stdin', { vars, params, raw: new TextEncoder().encode('ping\n') });
    client.expect('sandbox_process_stdin', first.status === 204, `a write without a Content-Type answered ${first.status} ${first.text.slice(0, 80)}`);
    const second = await client.call('sandbox_process_stdin', { vars, params, raw: new TextEncoder().encode('pong\n'), headers: { 'content-type': 'application/octet-stream' } });
    client.expect('sandbox_process_stdin', second.status === 204, `an application/octet-stream write answered ${second.status}`);
    const echoed = await client.readUntil('sandbox_process_stdin', lines, mentions('pong'), 'cat echoing what was written');
    const got = echoed.map((f) => (f.payload as OutputEvent).line);
    client.expect('sandbox_process_stdin', JSON.stringify(got) === JSON.stringify(['ping', 'pong']), `cat echoed ${JSON.stringify(got)}`);

    const close = await client.call('sandbox_process_stdin_close', { vars, params });
    client.expect('sandbox_process_stdin_close', close.status === 204, `closing stdin answered ${close.status}`);
    // cat ends at end-of-file: the follow ends with it.
    await client.readToEnd('sandbox_process_stdout_follow', lines, 'the stdout follow after stdin was closed');
    const done = await finished(client, sandbox, cat.pid);
    client.expect('sandbox_process_stdin_close', done.status === 'exited' && done.exit_code === 0 && done.stdin_writable === false, `cat ended ${done.status} ${done.exit_code} after end-of-file`);
    const afterClose = await client.call('sandbox_process_stdin', { vars, params, raw: new TextEncoder().encode('late\n') });
    client.expect('sandbox_process_stdin', afterClose.status === 400 && typeof afterClose.json?.error === 'string', `a write after stdin was closed answered ${afterClose.status}`);

    // Without stdin_mode pipe there is no stdin to write or close.
    const closed = await start(client, sandbox, cleanup, { command: 'sleep', args: ['60'] });
    const write = await client.call('sandbox_process_stdin', { vars, params: { pid: closed.pid }, raw: new TextEncoder().encode('x') });
    client.expect('sandbox_process_stdin', write.status === 400 && typeof write.json?.error === 'string', `a write to a process without piped stdin answered ${write.status}`);
    const shut = await client.call('sandbox_process_stdin_close', { vars, params: { pid: closed.pid } });
    client.expect('sandbox_process_stdin_close', shut.status === 400 && typeof shut.json?.error === 'string', `closing the stdin of a process without piped stdin answered ${shut.status}`);
  },
};

const follows: Scenario = {
  name: 'follow streams',
  operations: Object.values(FOLLOWS),
  async run(client, { sandbox, cleanup }) {
    const vars = { sandbox };
    // Two lines before the follows open (the replay), two while they are open (live), then the
    // process waits for end-of-file on stdin, so the live lines come while it still runs. Two
    // pipes carry no order of their own, so each line waits for a line on stdin, sent once the
    // suite has seen the one before: the real order is the order of the script.
    const script = 'echo first; read x; echo first-err >&2; read x; echo "live-$x"; read x; echo "live-err-$x" >&2; read y || true';
    const proc = await start(client, sandbox, cleanup, { command: 'sh', args: ['-c', script], stdin_mode: 'pipe' });
    const params = { pid: proc.pid };
    const send = async (text: string) => {
      const write = await client.call('sandbox_process_stdin', { vars, params, raw: new TextEncoder().encode(text) });
      if (write.status !== 204) throw new Error(`writing to stdin answered ${write.status}`);
    };
    const expected: Record<Which, Array<[string, 'stdout' | 'stderr']>> = {
      stdout: [['first', 'stdout'], ['live-go', 'stdout']],
      stderr: [['first-err', 'stderr'], ['live-err-go', 'stderr']],
      output: [['first', 'stdout'], ['first-err', 'stderr'], ['live-go', 'stdout'], ['live-err-go', 'stderr']],
    };

    // Waits (on an event, not a poll) until both early lines were captured.
    const probe = await follow(client, sandbox, 'output', proc.pid, cleanup);
    await client.readUntil(FOLLOWS.output, probe, mentions('first'), 'the early stdout line');
    await send('\n');
    await client.readUntil(FOLLOWS.output, probe, mentions('first-err'), 'the early stderr line');
    await probe.cancel();

    const readers = {} as Record<Which, StreamReader>;
    for (const which of WHICH) readers[which] = await follow(client, sandbox, which, proc.pid, cleanup);

    // Replay: what was captured before the follow opened comes first, each line in its exact form.
    for (const which of WHICH) {
      const want = expected[which].slice(0, which === 'output' ? 2 : 1);
      const seen = await client.readUntil(FOLLOWS[which], readers[which], mentions(want.at(-1)![0]), `the replayed line '${want.at(-1)![0]}'`);
      const problem = seen.length !== want.length ? `replay sent ${JSON.stringify(seen.map((f) => f.raw))}` : want.map(([line, stream], i) => outputFrameProblem(which, seen[i], line, stream, proc.started_at)).find(Boolean);
      client.expect(FOLLOWS[which], !problem, `replayed lines: ${problem}`);
    }

    // Live: a line written now reaches the follows of its stream while the process still runs.
    const live: Array<[string, 'stdout' | 'stderr']> = [['live-go', 'stdout'], ['live-err-go', 'stderr']];
    for (const [line, stream] of live) {
      await send('go\n');
      for (const which of [stream, 'output'] as const) {
        const seen = await client.readUntil(FOLLOWS[which], readers[which], mentions(line), `the live line '${line}'`);
        const problem = seen.length !== 1 ? `live lines came as ${JSON.stringify(seen.map((f) => f.raw))}` : outputFrameProblem(which, seen[0], line, stream, proc.started_at);
        client.expect(FOLLOWS[which], !problem, `live lines: ${problem}`);
      }
    }
    const running = await client.call('sandbox_process_get', { vars, params, untracked: true });
    for (const which of WHICH) client.expect(FOLLOWS[which], running.json?.status === 'running', `the live lines came while the process still ran (it reports ${running.json?.status})`);

    // End: once the process exits, one eof event with data {}, then the server ends the response.
    const close = await client.call('sandbox_process_stdin_close', { vars, params });
    if (close.status !== 204) throw new Error(`closing stdin answered ${close.status}`);
    for (const which of WHICH) {
      const rest = await client.readToEnd(FOLLOWS[which], readers[which], 'the follow after the process exited');
      client.expect(FOLLOWS[which], rest.length === 1 && isEof(rest[0]), `after the exit the follow sent ${JSON.stringify(rest.map((f) => f.raw))}, expected one 'eof' event with data {} and then the end`);
    }

    // An exited process: the whole replay, then eof at once, then the end.
    await finished(client, sandbox, proc.pid);
    for (const which of WHICH) {
      const reader = await follow(client, sandbox, which, proc.pid, cleanup);
      const frames = await client.readToEnd(FOLLOWS[which], reader, 'a follow of an exited process');
      const want = expected[which];
      const problem =
        frames.length !== want.length + 1 || !isEof(frames.at(-1))
          ? `it sent ${JSON.stringify(frames.map((f) => f.raw))}`
          : want.map(([line, stream], i) => outputFrameProblem(which, frames[i], line, stream, proc.started_at)).find(Boolean);
      client.expect(FOLLOWS[which], !problem, `following an exited process gives every line, then eof, then the end: ${problem}`);
    }
  },
};

const run: Scenario = {
  name: 'run',
  operations: ['sandbox_process_run'],
  async run(client, { sandbox }) {
    const vars = { sandbox };
    const res = await client.stream('sandbox_process_run', {
      vars,
      headers: { accept: 'text/event-stream' },
      json: { command: 'sh', args: ['-c', 'echo one; echo two >&2; echo three; exit 7'] },
    });
    if (!('reader' in res)) {
      client.expect('sandbox_process_run', false, `run answered ${res.status} ${res.mediaType}, not an event stream`);
      return;
    }
    // Reading to the end checks that the server ends the response after the exit frame.
    const frames = await client.readToEnd('sandbox_process_run', res.reader, 'the run stream');
    const payloads = frames.map((f) => f.payload as Record<string, unknown>);
    client.expect('sandbox_process_run', frames.every((f) => f.event === undefined), `run frames are data-only, with no event name: ${JSON.stringify(frames.map((f) => f.event))}`);
    const started = payloads[0];
    client.expect(
      'sandbox_process_run',
      typeof started?.pid === 'number' && typeof started.handle === 'number' && typeof started.started_at === 'number' && !('line' in started),
      `the first frame is the started frame {handle, pid, started_at}: ${frames[0]?.raw}`,
    );
    // Each stream in its order (a run has no stdin to pace the process by, so the order across
    // the two pipes is not checked).
    const body = payloads.slice(1, -1);
    const of = (stream: string) => body.filter((p) => p.stream === stream).map((p) => p.line);
    client.expect(
      'sandbox_process_run',
      body.length === 3 && JSON.stringify(of('stdout')) === JSON.stringify(['one', 'three']) && JSON.stringify(of('stderr')) === JSON.stringify(['two']),
      `the output frames: ${JSON.stringify(body)}`,
    );
    const badTime = payloads.slice(1, -1).find((p) => typeof p.timestamp !== 'number' || (p.timestamp as number) < (started?.started_at as number) - 1000);
    client.expect('sandbox_process_run', !badTime, `every output frame carries its capture time: ${JSON.stringify(badTime)}`);
    const exit = payloads.at(-1);
    client.expect('sandbox_process_run', exit?.exit_code === 7 && !('signal' in exit), `the last frame is the exit frame with the real exit code 7: ${frames.at(-1)?.raw}`);
    if (typeof started?.pid === 'number') {
      const record = await client.call('sandbox_process_get', { vars, params: { pid: started.pid }, untracked: true });
      client.expect('sandbox_process_run', record.status === 404 || (record.json?.status === 'exited' && record.json?.exit_code === 7), `the run's process record says ${record.status} ${record.text.slice(0, 120)}`);
    }

    // A timeout kills the process: the exit frame then carries signal 9.
    const timed = await client.stream('sandbox_process_run', { vars, headers: { accept: 'text/event-stream' }, json: { command: 'sleep', args: ['30'], timeout: 0.5 } });
    if (!('reader' in timed)) {
      client.expect('sandbox_process_run', false, `a run with a timeout answered ${timed.status} ${timed.mediaType}, not an event stream`);
      return;
    }
    const timedFrames = await client.readToEnd('sandbox_process_run', timed.reader, 'a run past its timeout');
    const last = timedFrames.at(-1)?.payload as Record<string, unknown> | undefined;
    client.expect('sandbox_process_run', timedFrames.length === 2 && last?.signal === 9 && !('exit_code' in last), `a run past its timeout sent ${JSON.stringify(timedFrames.map((f) => f.raw))}, expected the started frame and {"signal":9}`);
  },
};

const lifecycle: Scenario = {
  name: 'lifecycle',
  operations: ['sandbox_create', 'sandbox_list', 'sandbox_get', 'sandbox_delete'],
  async run(client, { unique, cleanup }) {
    const namespace = NAMESPACE;
    const name = unique('sbx');
    const created = await client.call('sandbox_create', { params: { namespace }, json: { name, resources: { cpus: 1, memory_mb: 1024 } } });
    const id: string | undefined = created.json?.id ?? created.json?.sandbox_id;
    if (id) cleanup(() => client.call('sandbox_delete', { params: { namespace, sandbox_id: id }, untracked: true }));
    client.expect('sandbox_create', created.status === 200 && typeof id === 'string' && id.length > 0, `create answered ${created.status} ${created.text.slice(0, 120)}`);
    if (!id) return;
    client.expect(
      'sandbox_create',
      created.json.namespace === namespace && created.json.name === name && ['pending', 'running'].includes(created.json.status),
      `the new sandbox: namespace ${created.json.namespace}, name ${created.json.name}, status ${created.json.status}`,
    );
    const url: unknown = created.json.sandbox_url;
    client.expect('sandbox_create', typeof url === 'string' && /^https?:\/\//.test(url), `create gives a sandbox_url: ${JSON.stringify(url)}`);
    if (typeof url === 'string' && /^https?:\/\//.test(url)) {
      // The sandbox_url serves the runtime API of this sandbox: a process started through it is
      // the one the runtime API of the sandbox id lists.
      const base = url.replace(/\/+$/, '');
      const empty = await client.target.fetch(`${base}/api/v1/processes`, { headers: client.target.headers });
      const emptyBody = (await empty.json().catch(() => undefined)) as { processes?: unknown[] } | undefined;
      client.expect('sandbox_create', empty.status === 200 && Array.isArray(emptyBody?.processes) && emptyBody.processes.length === 0, `GET sandbox_url/api/v1/processes answered ${empty.status} ${JSON.stringify(emptyBody)}`);
      const started = await client.target.fetch(`${base}/api/v1/processes`, {
        method: 'POST',
        headers: { ...client.target.headers, 'content-type': 'application/json' },
        body: JSON.stringify({ command: 'echo', args: ['hello'] }),
      });
      const startedBody = (await started.json().catch(() => undefined)) as { pid?: number } | undefined;
      client.expect('sandbox_create', started.status === 201 && typeof startedBody?.pid === 'number', `POST sandbox_url/api/v1/processes answered ${started.status}`);
      const listed = await client.call('sandbox_process_list', { vars: { sandbox: id }, untracked: true });
      client.expect(
        'sandbox_create',
        (listed.json?.processes ?? []).some((p: ProcessInfo) => p.pid === startedBody?.pid),
        `the process started through sandbox_url is one of sandbox ${id}'s: ${listed.text.slice(0, 160)}`,
      );
    }

    const got = await client.call('sandbox_get', { params: { namespace, sandbox_id: id } });
    client.expect('sandbox_get', got.status === 200 && (got.json?.id ?? got.json?.sandbox_id) === id && got.json?.sandbox_url === url, `get answered ${got.status} ${got.text.slice(0, 160)}`);
    const list = await client.call('sandbox_list', { params: { namespace } });
    client.expect('sandbox_list', list.status === 200 && (list.json?.sandboxes ?? []).some((s: { id?: string; sandbox_id?: string }) => (s.id ?? s.sandbox_id) === id), 'the list holds the new sandbox');

    const deleted = await client.call('sandbox_delete', { params: { namespace, sandbox_id: id } });
    client.expect('sandbox_delete', deleted.status === 200 || deleted.status === 204, `delete answered ${deleted.status}`);
    const gone = await client.call('sandbox_get', { params: { namespace, sandbox_id: id } });
    // The SDKs wait for this after a delete: 404 here is their SandboxNotFoundError.
    client.expect('sandbox_get', gone.status === 200 && gone.json?.status === 'terminated', `a deleted sandbox answered ${gone.status} ${gone.text.slice(0, 160)}, not status terminated`);
    const again = await client.call('sandbox_delete', { params: { namespace, sandbox_id: id } });
    client.expect('sandbox_delete', again.status === 404 && typeof again.json?.error === 'string', `deleting a deleted sandbox answered ${again.status}`);
    const after = await client.call('sandbox_list', { params: { namespace } });
    client.expect('sandbox_list', !(after.json?.sandboxes ?? []).some((s: { id?: string; sandbox_id?: string }) => (s.id ?? s.sandbox_id) === id), 'a deleted sandbox is no longer listed');

    const malformed = await client.call('sandbox_create', { params: { namespace }, raw: '{"name": ', headers: { 'content-type': 'application/json' } });
    client.expect('sandbox_create', malformed.status === 400 && typeof malformed.json?.error === 'string', `malformed JSON answered ${malformed.status}`);
    const wrongType = await client.call('sandbox_create', { params: { namespace }, json: { timeout_secs: 'soon' } });
    client.expect('sandbox_create', wrongType.status === 400 && typeof wrongType.json?.error === 'string', `timeout_secs of the wrong type answered ${wrongType.status}`);
    const unknown = await client.call('sandbox_get', { params: { namespace, sandbox_id: unique('sbx-missing') } });
    client.expect('sandbox_get', unknown.status === 404, `an unknown sandbox answered ${unknown.status}`);
  },
};

export const tensorlakeSuite: ContractSuite = {
  provider: 'tensorlake',
  async surfaces(specsDir) {
    const spec = await loadSpec(join(specsDir, 'tensorlake.yaml'));
    return [
      { mountId: 'tensorlake-runtime', spec, paths: (p) => p.startsWith('/api/') },
      { mountId: 'tensorlake-lifecycle', spec, paths: (p) => p.startsWith('/v1/') },
    ];
  },
  scenarios: [startAndOutput, invalidInput, unknownIds, killAndSignal, stdin, follows, run, lifecycle],
};
