import { signalName, StdinFullError } from '../../core/managed-process.ts';
import { timerDelay } from '../../core/timer-delay.ts';
import type { Handler } from '../../kernel/exchange.ts';
import { empty, json, stream } from '../respond.ts';
import { errorResponse } from './error-response.ts';
import { unsupportedMediaType } from './json-content-type.ts';
import { withProcess } from './process-lookup.ts';
import { toProcessInfo } from './process-info.ts';
import { runFrames } from './sse-streams.ts';
import { startProcess, type ProcessRequest } from './start-request.ts';
import { runtimeSandbox, type TensorlakeState } from './tensorlake-state.ts';

/** The process operations of the runtime API, keyed by operationId. */
export function processHandlers(state: TensorlakeState): Record<string, Handler> {
  return {
    async sandbox_process_start(ctx) {
      const refused = unsupportedMediaType(ctx);
      if (refused) return refused;
      const sandbox = await runtimeSandbox(state, ctx.vars);
      const started = await startProcess(state, sandbox, ctx.body as ProcessRequest);
      if ('error' in started) return started.error;
      return json(201, toProcessInfo(started.proc));
    },

    async sandbox_process_list(ctx) {
      const sandbox = await runtimeSandbox(state, ctx.vars);
      return json(200, { processes: sandbox.processes.list().map(toProcessInfo) });
    },

    async sandbox_process_run(ctx) {
      const refused = unsupportedMediaType(ctx);
      if (refused) return refused;
      const sandbox = await runtimeSandbox(state, ctx.vars);
      const body = ctx.body as ProcessRequest & { timeout?: number };
      // Run ignores the modes: stdin closed, both streams captured.
      const started = await startProcess(state, sandbox, {
        command: body.command,
        args: body.args,
        env: body.env,
        working_dir: body.working_dir,
        user: body.user,
      });
      if ('error' in started) return started.error;
      const proc = started.proc;
      if (body.timeout !== undefined) {
        // The daemon kills the process when the timeout passes; the exit frame is then {signal: 9}.
        const timer = setTimeout(() => proc.kill(), timerDelay(body.timeout * 1000));
        timer.unref();
        void proc.done.then(() => clearTimeout(timer));
      }
      // A client that goes away leaves the process running, as a started one: it stays listed
      // and followable by pid, and ends with the sandbox.
      return stream(200, 'text/event-stream', runFrames(proc, { keepAliveMs: state.keepAliveMs, signal: ctx.signal }));
    },

    sandbox_process_get(ctx) {
      return withProcess(state, ctx, (proc) => json(200, toProcessInfo(proc)));
    },

    sandbox_process_kill(ctx) {
      return withProcess(state, ctx, (proc, { ref }) => {
        if (!proc.running && state.quirk('kill-exited-process-500')) {
          return errorResponse(500, `Process ${ref.label} is not running`);
        }
        // Spec: 204 for an exited process too. SIGKILL goes to the whole group, so children the
        // process started end with it, also those that outlived it: in a real sandbox they
        // would be the daemon's to kill, and here nothing else would ever end them.
        if (proc.running) proc.kill();
        else proc.killLeftovers();
        return empty(204);
      });
    },

    sandbox_process_signal(ctx) {
      const refused = unsupportedMediaType(ctx);
      if (refused) return refused;
      return withProcess(state, ctx, (proc, { ref }) => {
        const number = (ctx.body as { signal: number }).signal;
        const name = number > 0 ? signalName(number) : undefined;
        if (!name) return errorResponse(400, `Invalid signal ${number}`);
        if (!proc.running) return errorResponse(400, `Process ${ref.label} is not running`);
        proc.requested = 'signal';
        if (!proc.signal(name)) return errorResponse(400, `Process ${ref.label} is not running`);
        return json(200, { success: true });
      });
    },

    sandbox_process_stdin(ctx) {
      return withProcess(state, ctx, async (proc, { ref }) => {
        const notWritable = () => errorResponse(400, `Process ${ref.label} stdin is not writable`, 'STDIN_NOT_WRITABLE');
        if (!proc.stdinWritable) return notWritable();
        try {
          await proc.writeStdin(ctx.rawBody, state.stdinLimits);
        } catch (error) {
          // The daemon's one stdin refusal, with why: a process that reads nothing fills its
          // stdin, as a real pipe would.
          if (error instanceof StdinFullError) return errorResponse(400, `Process ${ref.label} ${error.message}`, 'STDIN_NOT_WRITABLE');
          // The process closed its end (or exited) while we wrote.
          return notWritable();
        }
        return empty(204);
      });
    },

    sandbox_process_stdin_close(ctx) {
      return withProcess(state, ctx, (proc, { ref }) => {
        if (proc.spec.stdin !== 'pipe') return errorResponse(400, `Process ${ref.label} stdin is not piped`);
        // Closing twice, or after the process ended, is a no-op: 204 again, as the daemon did.
        proc.closeStdin();
        return empty(204);
      });
    },
  };
}
