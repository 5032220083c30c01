import { join, posix } from 'node:path';
import type { ManagedProcess } from '../../core/managed-process.ts';
import { SpawnError } from '../../core/managed-process.ts';
import { TooManyProcessesError } from '../../core/process-supervisor.ts';
import { IDLE, withKeepAlive } from '../../core/keep-alive.ts';
import { StreamCut, type StreamItem } from '../../kernel/frames.ts';
import type { EmuResponse, Handler, HandlerContext } from '../../kernel/exchange.ts';
import { empty, json, stream } from '../respond.ts';
import { endOfStream, envelope, failedStream, readEnvelope } from './connect-envelope.ts';
import { connectError } from './dialects.ts';
import type { E2bSandbox, E2bState } from './e2b-state.ts';
import { isPty, markPty, ptyCommand, resizePty, type PtySize } from './envd-pty.ts';
import { inSandbox, keepaliveMs } from './envd-sandbox.ts';

interface ProcessConfig {
  cmd: string;
  args?: string[];
  envs?: Record<string, string>;
  cwd?: string;
}
interface Selector {
  pid?: number;
  tag?: string;
}

/** What List reports of each process: its config as started, and its tag. */
const started = new WeakMap<ManagedProcess, { config: ProcessConfig; tag?: string }>();

function find(sandbox: E2bSandbox, selector: Selector | undefined): ManagedProcess | undefined {
  const pid = selector?.tag !== undefined ? sandbox.data.tags.get(selector.tag) : selector?.pid;
  if (pid === undefined) return undefined;
  const proc = sandbox.processes.byPid(pid);
  return proc?.running ? proc : undefined;
}

/** envd's error for a process it does not know: a unary call's 404, or the end of a stream. */
const notFoundError = (selector: Selector | undefined) => ({
  code: 'not_found',
  message: selector?.tag !== undefined ? `process with tag ${selector.tag} not found` : `process with pid ${selector?.pid ?? 0} not found`,
});
const notFound = (selector: Selector | undefined) => {
  const { code, message } = notFoundError(selector);
  return connectError(404, code, message);
};

/** Go's words for how a process ended (os.ProcessState.String), which envd passes on. */
const GO_SIGNAL_WORDS: Record<string, string> = { SIGKILL: 'killed', SIGTERM: 'terminated', SIGINT: 'interrupt', SIGHUP: 'hangup', SIGQUIT: 'quit', SIGPIPE: 'broken pipe' };

function endEvent(exit: { exitCode: number | null; signal: string | null }) {
  if (exit.signal) {
    const status = `signal: ${GO_SIGNAL_WORDS[exit.signal] ?? exit.signal}`;
    // envd's `exited` is Go's ProcessState.Exited(), false for a process a signal ended (and
    // protobuf's JSON leaves a false out); its exit code is then -1.
    return { exitCode: -1, status, error: status };
  }
  const code = exit.exitCode ?? 0;
  const status = `exit status ${code}`;
  // Protobuf's JSON leaves default values out: no exitCode for 0, no error for success.
  return code === 0 ? { exited: true, status } : { exitCode: code, exited: true, status, error: status };
}

/** The process's events from `fromSeq` on, until it ends (or the client goes), then the end of the stream. */
async function* events(sandbox: E2bSandbox, proc: ManagedProcess, ctx: HandlerContext, fromSeq: number): AsyncGenerator<StreamItem> {
  yield envelope({ event: { start: { pid: proc.pid } } });
  const output = proc.output.follow({ fromSeq, signal: ctx.signal });
  // A keep-alive event while the process is quiet, at the interval the client asked for.
  const interval = keepaliveMs(ctx);
  for await (const chunk of interval ? withKeepAlive(output, interval, ctx.signal) : output) {
    if (chunk === IDLE) {
      yield envelope({ event: { keepalive: {} } });
      continue;
    }
    // A terminal has one output, which envd sends as `pty`.
    yield envelope({ event: { data: { [isPty(proc) ? 'pty' : chunk.stream]: chunk.data.toString('base64') } } });
  }
  // A client that goes away leaves the process running, as envd does (the SDK's disconnect()).
  if (ctx.signal.aborted) return;
  // A killed sandbox is a machine gone: its streams drop, with no end event (the SDK then asks
  // /health, gets the proxy's 502, and says the sandbox was killed).
  if (sandbox.ended.aborted) throw new StreamCut('the sandbox was killed');
  yield envelope({ event: { end: endEvent(await proc.done) } });
  yield endOfStream();
}

/** Where a process runs: E2B's /home/user, and the relative paths in it, are the sandbox's folder. */
function workingFolder(sandbox: E2bSandbox, cwd: string | undefined): string {
  if (!cwd) return sandbox.dir;
  const inHome = /^\/home\/user(\/|$)/.test(cwd) ? cwd.slice('/home/user'.length) : cwd.startsWith('/') ? undefined : cwd;
  return inHome === undefined ? cwd : join(sandbox.dir, posix.normalize(`/${inHome}`));
}

export function startHandler(state: E2bState): Handler {
  return inSandbox(state, async (ctx, sandbox) => {
    const message = readEnvelope(ctx.rawBody);
    if (!message.ok) return connectError(400, 'invalid_argument', message.message);
    const request = message.value as { process?: ProcessConfig; tag?: string; stdin?: boolean; pty?: { size?: PtySize } };
    const config = request?.process;
    if (!config || typeof config.cmd !== 'string') return failedStream({ code: 'invalid_argument', message: 'process.cmd is required' });
    const argv: [string, ...string[]] = [config.cmd, ...(config.args ?? [])];
    const terminal = request.pty ? ptyCommand(state.ptyDir, argv, request.pty.size ?? {}) : undefined;
    let proc: ManagedProcess;
    try {
      proc = await sandbox.processes.start({
        argv: terminal?.argv ?? argv,
        command: config.cmd,
        args: config.args ?? [],
        cwd: workingFolder(sandbox, config.cwd),
        env: { ...sandbox.env, ...(config.envs ?? {}) },
        // envd keeps stdin open unless told not to (an older SDK sends no `stdin`; this one always does).
        // A terminal always takes input.
        stdin: request.stdin === false && !terminal ? 'closed' : 'pipe',
        capBytes: state.capBytes,
      });
    } catch (error) {
      if (error instanceof SpawnError) return failedStream({ code: 'internal', message: `error starting process: ${error.message}` });
      if (error instanceof TooManyProcessesError) return failedStream({ code: 'resource_exhausted', message: error.message });
      throw error;
    }
    if (terminal) markPty(proc, terminal.sizeFile);
    started.set(proc, { config, tag: request.tag });
    if (request.tag !== undefined) sandbox.data.tags.set(request.tag, proc.pid);
    return stream(200, 'application/connect+json', events(sandbox, proc, ctx, 0));
  });
}

export function connectHandler(state: E2bState): Handler {
  return inSandbox(state, (ctx, sandbox) => {
    const message = readEnvelope(ctx.rawBody);
    if (!message.ok) return connectError(400, 'invalid_argument', message.message);
    const selector = (message.value as { process?: Selector })?.process;
    const proc = find(sandbox, selector);
    if (!proc) return failedStream(notFoundError(selector));
    // From now on: what the process writes after the client connected.
    return stream(200, 'application/connect+json', events(sandbox, proc, ctx, proc.output.nextSeq));
  });
}

export function listHandler(state: E2bState): Handler {
  return inSandbox(state, (ctx, sandbox) => {
    const processes = sandbox.processes.running().map((proc) => {
      const info = started.get(proc);
      return { pid: proc.pid, ...(info?.tag !== undefined && { tag: info.tag }), config: info?.config ?? { cmd: proc.spec.command, args: proc.spec.args } };
    });
    return json(200, { processes });
  });
}

export function sendInputHandler(state: E2bState): Handler {
  return inSandbox(state, async (ctx, sandbox) => {
    const body = ctx.body as { process: Selector; input: { stdin?: string; pty?: string } };
    const proc = find(sandbox, body.process);
    if (!proc) return notFound(body.process);
    // envd wraps every failed write as `internal` (services/process/input.go), a closed or
    // absent stdin included: Connect's 500.
    // Input goes where the process reads: its terminal, or its stdin (envd's handler.go words).
    const toPty = body.input.pty !== undefined;
    const where = toPty ? 'tty' : 'stdin';
    if (toPty && !isPty(proc)) return connectError(500, 'internal', 'error writing to tty: tty not assigned to process — input should be written to the stdin, not the tty');
    if (!toPty && isPty(proc)) return connectError(500, 'internal', 'error writing to stdin: tty assigned to process — input should be written to the pty, not the stdin');
    if (!proc.stdinWritable) return connectError(500, 'internal', `error writing to ${where}: stdin not enabled or closed`);
    try {
      await proc.writeStdin(Buffer.from((toPty ? body.input.pty : body.input.stdin) ?? '', 'base64'));
    } catch (error) {
      return connectError(500, 'internal', `error writing to ${where}: ${(error as Error).message}`);
    }
    return json(200, {});
  });
}

export function closeStdinHandler(state: E2bState): Handler {
  return inSandbox(state, (ctx, sandbox) => {
    const body = ctx.body as { process: Selector };
    const proc = find(sandbox, body.process);
    if (!proc) return notFound(body.process);
    proc.closeStdin();
    return json(200, {});
  });
}

export function sendSignalHandler(state: E2bState): Handler {
  return inSandbox(state, (ctx, sandbox) => {
    const body = ctx.body as { process: Selector; signal: string };
    const proc = find(sandbox, body.process);
    if (!proc) return notFound(body.process);
    if (body.signal === 'SIGNAL_SIGKILL') proc.kill();
    else if (body.signal === 'SIGNAL_SIGTERM') {
      proc.requested = 'signal';
      proc.signal('SIGTERM');
    } else return connectError(501, 'unimplemented', `invalid signal: ${body.signal}`);
    return json(200, {});
  });
}

/** Update: a terminal's new size (the SDK's pty.resize). */
export function updateHandler(state: E2bState): Handler {
  return inSandbox(state, async (ctx, sandbox) => {
    const body = ctx.body as { process: Selector; pty?: { size?: PtySize } };
    const proc = find(sandbox, body.process);
    if (!proc) return notFound(body.process);
    if (body.pty && !(await resizePty(proc, body.pty.size ?? {}))) return connectError(500, 'internal', 'error resizing tty: tty not assigned to process');
    return json(200, {});
  });
}

export function healthHandler(state: E2bState): Handler {
  return inSandbox(state, () => empty(204), { open: true });
}
