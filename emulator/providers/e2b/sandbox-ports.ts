import type { EmuResponse } from '../../kernel/exchange.ts';
import type { SandboxPorts } from '../provider.ts';
import { json } from '../respond.ts';
import type { E2bState } from './e2b-state.ts';

/**
 * E2B's proxy in front of a sandbox's own servers (`sandbox.getHost(port)`: the host
 * `<port>-<sandbox>.e2b.app`). Its refusals are 502s in its words (e2b-dev/infra,
 * packages/shared/pkg/proxy/template: sandbox_not_found.go, port_closed.go).
 */
export function e2bSandboxPorts(state: E2bState): SandboxPorts {
  return {
    refusal(sandboxId: string): EmuResponse | undefined {
      const sandbox = state.registry.get(sandboxId);
      // A paused sandbox is out of the proxy's catalog, as one that is gone.
      if (sandbox && !sandbox.data.paused) return undefined;
      return json(502, { sandboxId, message: 'The sandbox was not found', code: 502 });
    },
    closed: (sandboxId: string, port: number) => json(502, { sandboxId, message: 'The sandbox is running but port is not open', port, code: 502 }),
  };
}
