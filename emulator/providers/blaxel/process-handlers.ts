import type { Handler } from '../../kernel/exchange.ts';
import { sandboxFor, type BlaxelContext } from './blaxel-context.ts';
import { findProcess } from './find-process.ts';
import { ginError, ginJson, ginStream, ginText } from './gin-response.ts';
import { logStreamFrames } from './log-stream.ts';
import { processLogs, processResponse, processStatus, VIEW_BYTES } from './process-view.ts';
import { startProcessHandler } from './start-process.ts';

export const STOP_BANNER = '\n[Process is being gracefully terminated]\n';
export const KILL_BANNER = '\n[Process is being forcefully killed]\n';

/** Handlers of every operation of blaxel.yaml, keyed by operationId. Error texts are the server's. */
export function processHandlers(bx: BlaxelContext): Record<string, Handler> {
  return {
    listProcesses: async (ctx) => {
      const sandbox = await sandboxFor(bx, ctx);
      const entries = sandbox.data.processes.slice();
      if (bx.quirk('list-order-unspecified')) shuffle(entries);
      return ginJson(200, entries.map((e) => processResponse(e, VIEW_BYTES, bx.quirk)));
    },

    startProcess: startProcessHandler(bx),

    getProcess: async (ctx) => {
      const entry = findProcess(await sandboxFor(bx, ctx), ctx.params.identifier);
      if (!entry) return ginError(404, 'process not found');
      return ginJson(200, processResponse(entry, VIEW_BYTES, bx.quirk));
    },

    stopProcess: async (ctx) => {
      const id = ctx.params.identifier;
      const entry = findProcess(await sandboxFor(bx, ctx), id);
      if (!entry) return ginError(404, `process with Identifier ${id} not found`);
      if (processStatus(entry, bx.quirk) !== 'running') return ginError(404, `process with Identifier ${id} is not running`);
      entry.addBanner(STOP_BANNER);
      // SIGTERM to the group; SIGKILL follows after the grace if it is still running.
      if (!entry.proc.stop(bx.stopGraceMs)) return ginError(404, `failed to send SIGTERM to process with Identifier ${id}: no such process`);
      return ginJson(200, { message: 'Process stopped successfully' });
    },

    killProcess: async (ctx) => {
      const id = ctx.params.identifier;
      const entry = findProcess(await sandboxFor(bx, ctx), id);
      if (!entry) return ginError(404, `process with Identifier ${id} not found`);
      // No status guard on the server: the kill itself finds nothing (ESRCH).
      if (!entry.proc.running) return ginError(404, `failed to kill process with Identifier ${id}: no such process`);
      entry.addBanner(KILL_BANNER);
      if (!entry.proc.kill()) return ginError(404, `failed to kill process with Identifier ${id}: no such process`);
      return ginJson(200, { message: 'Process killed successfully' });
    },

    getProcessLogs: async (ctx) => {
      const id = ctx.params.identifier;
      const entry = findProcess(await sandboxFor(bx, ctx), id);
      if (!entry) return ginError(404, `process with PID ${id} not found`);
      return ginJson(200, processLogs(entry, bx.capBytes, bx.quirk));
    },

    streamProcessLogs: async (ctx) => {
      const id = ctx.params.identifier;
      const entry = findProcess(await sandboxFor(bx, ctx), id);
      if (!entry) {
        const message = `process with Identifier ${id} not found`;
        // The server has flushed a 200 text/plain before it looks the process up.
        if (bx.quirk('logs-stream-unknown-id-200')) return ginText(200, JSON.stringify({ error: message }));
        return ginError(404, message);
      }
      return ginStream(
        'text/plain; charset=utf-8',
        logStreamFrames(entry, {
          signal: ctx.signal,
          prefixPerChunk: bx.quirk('logs-stream-prefix-per-chunk'),
          endAtRunExit: bx.quirk('logs-stream-ends-at-first-exit'),
        }),
      );
    },

    writeProcessStdin: async (ctx) => {
      const id = ctx.params.identifier;
      const entry = findProcess(await sandboxFor(bx, ctx), id);
      if (!entry) return ginError(404, `process with Identifier ${id} not found`);
      if (!entry.proc.stdinWritable) return ginError(409, `process with Identifier ${id} has no open stdin (start it with stdin: true)`);
      try {
        await entry.proc.writeStdin(ctx.rawBody, bx.stdinLimits);
      } catch (error) {
        return ginError(500, `failed to write to stdin of process with Identifier ${id}: ${(error as Error).message}`);
      }
      return ginJson(200, { message: 'stdin written' });
    },

    closeProcessStdin: async (ctx) => {
      const id = ctx.params.identifier;
      const entry = findProcess(await sandboxFor(bx, ctx), id);
      if (!entry) return ginError(404, `process with Identifier ${id} not found`);
      entry.proc.closeStdin();
      return ginJson(200, { message: 'stdin closed' });
    },
  };
}

function shuffle<T>(items: T[]): void {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [items[i], items[j]] = [items[j], items[i]];
  }
}
