import { stat } from 'node:fs/promises';
import { timerDelay } from '../../core/timer-delay.ts';
import { randomAlphanumeric } from '../../core/ids.ts';
import { SpawnError, type StartSpec } from '../../core/managed-process.ts';
import { SandboxFileError } from '../../core/sandbox-files.ts';
import { TooManyProcessesError } from '../../core/process-supervisor.ts';
import type { EmuResponse, Handler, HandlerContext } from '../../kernel/exchange.ts';
import { sandboxFor, type BlaxelContext, type BlaxelSandbox } from './blaxel-context.ts';
import { MISSING_COMMAND } from './dialect.ts';
import { execStreamError, execStreamFrames } from './exec-stream.ts';
import { findProcess } from './find-process.ts';
import { ginError, ginJson, ginStream } from './gin-response.ts';
import { filesOf, ginFileReason } from './file-access.ts';
import { ProcessEntry, RESTART_DELAY_MS } from './process-entry.ts';
import { processResponse, processStatus, VIEW_BYTES } from './process-view.ts';
import { waitForPorts } from './wait-for-ports.ts';

/** The ProcessRequest schema; types are already checked by the request validator. */
interface ProcessRequest {
  command?: string;
  name?: string;
  workingDir?: string;
  env?: Record<string, string>;
  waitForCompletion?: boolean;
  timeout?: number;
  waitForPorts?: number[];
  restartOnFailure?: boolean;
  maxRestarts?: number;
  keepAlive?: boolean;
  stdin?: boolean;
}

/** keepAlive's kill timer when the request gives no (or a negative) timeout. */
const KEEPALIVE_DEFAULT_TIMEOUT_S = 600;

class StartRefused extends Error {
  constructor(
    readonly status: 400 | 422,
    message: string,
  ) {
    super(message);
  }
}

/**
 * POST /process. Checks in the server's order (body, keepAlive, `~`, name, folder, start),
 * then answers JSON (at once, or after the waits) or, when Accept asks for event-stream,
 * NDJSON frames until the process ends.
 */
export function startProcessHandler(bx: BlaxelContext): Handler {
  return async (ctx) => {
    const sandbox = await sandboxFor(bx, ctx);
    const request = (ctx.body ?? {}) as ProcessRequest;
    const streaming = (ctx.headers.accept ?? '').includes('text/event-stream');
    let entry: ProcessEntry;
    try {
      entry = await start(bx, sandbox, request);
    } catch (error) {
      if (!(error instanceof StartRefused)) throw error;
      // Body and name checks answer JSON in both modes; the server has flushed its stream
      // headers only by the time the start itself fails.
      if (streaming && error.status === 422 && bx.quirk('exec-stream-errors-as-frames')) {
        return ginStream('application/x-ndjson', execStreamError(error.message));
      }
      return ginError(error.status, error.message);
    }
    const timeoutSeconds = request.timeout !== undefined && request.timeout > 0 ? request.timeout : 0;
    if (streaming) {
      return ginStream(
        'application/x-ndjson',
        execStreamFrames(entry, {
          signal: ctx.signal,
          timeoutSeconds,
          controlLinesAsStdout: bx.quirk('exec-stream-keepalive-as-stdout'),
          result: () => processResponse(entry, VIEW_BYTES, bx.quirk),
        }),
      );
    }
    return answerAfterWaits(bx, ctx, entry, request, timeoutSeconds);
  };
}

async function start(bx: BlaxelContext, sandbox: BlaxelSandbox, request: ProcessRequest): Promise<ProcessEntry> {
  if (typeof request.command !== 'string' || request.command === '') throw new StartRefused(400, `invalid request body: ${MISSING_COMMAND}`);
  const command = request.command;
  if (request.keepAlive && truthy(sandbox.env.BL_DISABLE_KEEPALIVE)) {
    throw new StartRefused(400, 'keepAlive is not available for this sandbox: it is not included in your current plan');
  }
  let workingDir = (request.workingDir ?? '').replace(/\/{2,}/g, '/');
  if (workingDir.startsWith('~')) {
    const home = sandbox.env.HOME;
    if (!home) throw new StartRefused(400, 'home directory not found');
    const base = sandboxPath(sandbox, home);
    workingDir = (base === '/' ? '' : base) + workingDir.slice(1) || '/';
  }
  const name = request.name || `proc-${randomAlphanumeric(8)}`;
  const { starting } = sandbox.data;
  if (request.name) {
    const holder = findProcess(sandbox, name);
    if (starting.has(name) || (holder && processStatus(holder, bx.quirk) === 'running')) {
      throw new StartRefused(400, `process with name '${name}' already exists and is running`);
    }
  }
  starting.add(name);
  try {
    // The sandbox's folder is its "/", for processes as for the file API: '' (the server's own
    // folder), `/app` and `app` all name a folder inside it, and none may lead out of it.
    const cwd = await workingFolder(bx, sandbox, command, workingDir);
    await checkFolder(command, workingDir, cwd);
    const spec: StartSpec = {
      argv: ['sh', '-c', command],
      command,
      args: [],
      cwd,
      env: { ...sandbox.env, ...(request.env ?? {}) },
      stdin: request.stdin ? 'pipe' : 'closed',
      name,
      capBytes: bx.capBytes,
    };
    const proc = await sandbox.processes.start(spec).catch((error: unknown) => {
      if (error instanceof SpawnError || error instanceof TooManyProcessesError) throw new StartRefused(422, `failed to start process: ${error.message}`);
      throw error;
    });
    const entry: ProcessEntry = new ProcessEntry(
      proc,
      {
        name,
        command,
        workingDir,
        keepAlive: request.keepAlive ?? false,
        restartOnFailure: request.restartOnFailure ?? false,
        maxRestarts: request.maxRestarts ?? 0,
        stdin: request.stdin,
      },
      {
        // A restart is a new child in the same folder, with the same environment.
        startRun: async () => {
          const run = await sandbox.processes.start(spec);
          sandbox.processes.whenForgotten(run, () => forget(run));
          return run;
        },
        delayMs: RESTART_DELAY_MS,
        capBytes: bx.capBytes,
        now: bx.now,
      },
    );
    // The entry goes when its last run is forgotten; an earlier run of a restarted entry may be
    // forgotten first (the supervisor prunes old finished runs), which leaves the entry alone.
    const forget = (run: typeof proc) => {
      if (entry.proc !== run || entry.running) return;
      const at = sandbox.data.processes.indexOf(entry);
      if (at !== -1) sandbox.data.processes.splice(at, 1);
    };
    sandbox.data.processes.push(entry);
    sandbox.processes.whenForgotten(proc, () => forget(proc));
    if (entry.settings.keepAlive) {
      // With keepAlive the timeout is the process's lifetime; 0 means no limit.
      const seconds = request.timeout === undefined || request.timeout < 0 ? KEEPALIVE_DEFAULT_TIMEOUT_S : request.timeout;
      if (seconds > 0) entry.killAfter(seconds * 1000);
    }
    return entry;
  } finally {
    starting.delete(name);
  }
}

/**
 * The host folder for a workingDir: '' is the sandbox's folder itself (the server's own folder),
 * any other path is read inside it, relative and absolute alike (the server's folder is "/").
 * One that leads out, by `..` or through a symlink, is refused as the server refuses a folder
 * it cannot use.
 */
async function workingFolder(bx: BlaxelContext, sandbox: BlaxelSandbox, command: string, workingDir: string): Promise<string> {
  try {
    return await filesOf(bx, sandbox).confine(workingDir, 'follow');
  } catch (error) {
    if (!(error instanceof SandboxFileError)) throw error;
    throw new StartRefused(422, `failed to start process: could not access working directory '${workingDir}': ${ginFileReason(error)}`);
  }
}

/** A host path as the sandbox names it (its folder is "/"); one outside stays as it is. */
function sandboxPath(sandbox: BlaxelSandbox, host: string): string {
  if (host === sandbox.dir) return '/';
  if (host.startsWith(`${sandbox.dir}/`)) return host.slice(sandbox.dir.length);
  return host;
}

async function checkFolder(command: string, shown: string, cwd: string): Promise<void> {
  let info;
  try {
    info = await stat(cwd);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new StartRefused(422, `failed to start process: could not execute command '${command}' because folder '${shown || '/'}' does not exist`);
    // The errno's words, as Go prints them, not Node's message (it names the host path).
    throw new StartRefused(422, `failed to start process: could not access working directory '${shown || '/'}': ${errnoText(code)}`);
  }
  if (!info.isDirectory()) throw new StartRefused(422, `failed to start process: chdir ${shown || '/'}: not a directory`);
}

/**
 * waitForPorts, then waitForCompletion, both bounded by one `timeout`. An expired wait answers
 * 422 and leaves the process running.
 */
async function answerAfterWaits(bx: BlaxelContext, ctx: HandlerContext, entry: ProcessEntry, request: ProcessRequest, timeoutSeconds: number): Promise<EmuResponse> {
  const deadlineAt = timeoutSeconds > 0 ? Date.now() + timeoutSeconds * 1000 : undefined;
  if (request.waitForPorts?.length) {
    const outcome = await waitForPorts(request.waitForPorts, entry.proc, { deadlineAt, signal: ctx.signal });
    if (outcome === 'timeout') return ginError(422, `process timed out waiting for ports after ${timeoutSeconds} seconds`);
  }
  if (!request.waitForCompletion) return ginJson(200, processResponse(entry, VIEW_BYTES, bx.quirk));
  const ended = await untilEnd(entry, deadlineAt, ctx.signal);
  if (ended === 'timeout') return ginError(422, `process timed out after ${timeoutSeconds} seconds`);
  return ginJson(200, processResponse(entry, bx.capBytes, bx.quirk));
}

function untilEnd(entry: ProcessEntry, deadlineAt: number | undefined, signal: AbortSignal): Promise<'ended' | 'timeout' | 'aborted'> {
  return new Promise((resolve) => {
    let timer: NodeJS.Timeout | undefined;
    const finish = (outcome: 'ended' | 'timeout' | 'aborted') => {
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
      resolve(outcome);
    };
    const onAbort = () => finish('aborted');
    if (signal.aborted) return finish('aborted');
    // After any restarts: the answer is the final record.
    void entry.finished.then(() => finish('ended'));
    if (deadlineAt !== undefined) timer = setTimeout(() => finish('timeout'), timerDelay(deadlineAt - Date.now()));
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

function errnoText(code: string | undefined): string {
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
  if (code === 'ENOTDIR') return 'not a directory';
  if (code === 'ELOOP') return 'too many levels of symbolic links';
  return 'input/output error';
}

function truthy(value: string | undefined): boolean {
  return value !== undefined && /^(1|t|true|yes|on)$/i.test(value.trim());
}
