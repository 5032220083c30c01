import type { Handler } from '../../kernel/exchange.ts';
import { json } from '../respond.ts';
import { runtimeSandbox, type TensorlakeState } from './tensorlake-state.ts';

/** The emulator's answer for the daemon's version: says plainly that this is not the real one. */
export const DAEMON_VERSION = '0.1.0-sandbox-emulator';

/** The daemon's own health and info; the emulator's daemon starts with its sandbox. */
export function daemonHandlers(state: TensorlakeState): Record<string, Handler> {
  return {
    async sandbox_daemon_health(ctx) {
      await runtimeSandbox(state, ctx.vars);
      return json(200, { healthy: true });
    },
    async sandbox_daemon_info(ctx) {
      const sandbox = await runtimeSandbox(state, ctx.vars);
      const processes = sandbox.processes.list();
      const now = Date.now();
      return json(200, {
        version: DAEMON_VERSION,
        uptime_secs: Math.max(0, Math.floor((now - sandbox.createdAt) / 1000)),
        running_processes: processes.filter((p) => p.running).length,
        total_processes: processes.length,
      });
    },
  };
}
