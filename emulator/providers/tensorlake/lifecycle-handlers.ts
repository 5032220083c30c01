import { randomAlphanumeric } from '../../core/ids.ts';
import type { Handler, HandlerContext } from '../../kernel/exchange.ts';
import { json } from '../respond.ts';
import { errorResponse } from './error-response.ts';
import { toCreateSandboxResponse, toSandboxInfo } from './sandbox-info.ts';
import { DEFAULT_RESOURCES, type TensorlakeSandbox, type TensorlakeSandboxData, type TensorlakeState } from './tensorlake-state.ts';

interface CreateSandboxRequest {
  image?: string | null;
  resources?: { cpus?: number; memory_mb?: number; disk_mb?: number | null };
  timeout_secs?: number | null;
  name?: string | null;
  entrypoint?: string[] | null;
}

/**
 * The lifecycle subset the SDKs call on a localhost API URL. It shares the runtime API's
 * registry: a created sandbox is the one its `sandbox_url` reaches, and one that came into
 * being through the runtime API is listed here too (in the default namespace).
 *
 * Recorded but not acted on: `image`, `entrypoint`, `timeout_secs`, `snapshot_id` and
 * `network` (commands run on the host, in the sandbox's folder, until deleted).
 */
export function lifecycleHandlers(state: TensorlakeState): Record<string, Handler> {
  return {
    async sandbox_create(ctx) {
      const body = (ctx.body ?? {}) as CreateSandboxRequest;
      const data: TensorlakeSandboxData = {
        namespace: ctx.params.namespace,
        name: body.name ?? null,
        image: body.image ?? null,
        resources: {
          cpus: body.resources?.cpus ?? DEFAULT_RESOURCES.cpus,
          memory_mb: body.resources?.memory_mb ?? DEFAULT_RESOURCES.memory_mb,
          ephemeral_disk_mb: body.resources?.disk_mb ?? DEFAULT_RESOURCES.ephemeral_disk_mb,
        },
        timeout_secs: body.timeout_secs ?? null,
        entrypoint: body.entrypoint ?? null,
      };
      const sandbox = await state.registry.create(`sbx-${randomAlphanumeric(16)}`, data);
      return json(200, toCreateSandboxResponse(sandbox, ctx));
    },

    sandbox_list(ctx) {
      const sandboxes = state.registry.list().filter((s) => s.data.namespace === ctx.params.namespace);
      return json(200, { sandboxes: sandboxes.map((s) => toSandboxInfo(s, ctx)) });
    },

    sandbox_get(ctx) {
      const sandbox = findSandbox(state, ctx);
      if (sandbox) return json(200, toSandboxInfo(sandbox, ctx));
      const terminated = state.terminated.find(ctx.params.namespace, ctx.params.sandbox_id);
      return terminated ? json(200, terminated) : sandboxNotFound();
    },

    async sandbox_delete(ctx) {
      const sandbox = findSandbox(state, ctx);
      if (!sandbox) return sandboxNotFound();
      const info = toSandboxInfo(sandbox, ctx);
      // Ends every process of the sandbox (SIGKILL to each group) and removes its folder.
      await state.registry.delete(sandbox.id);
      // No sandbox_url: there is no runtime API to reach any more.
      const { sandbox_url: _gone, ...rest } = info;
      state.terminated.remember({ ...rest, status: 'terminated', terminated_at: Date.now(), termination_reason: null });
      return json(200, {});
    },
  };
}

/** By id, or by name (a name passed to `Sandbox.connect` arrives here), within the namespace. */
function findSandbox(state: TensorlakeState, ctx: HandlerContext): TensorlakeSandbox | undefined {
  const { namespace, sandbox_id: wanted } = ctx.params;
  const byId = state.registry.get(wanted);
  if (byId) return byId.data.namespace === namespace ? byId : undefined;
  return state.registry
    .list()
    .reverse()
    .find((s) => s.data.namespace === namespace && s.data.name === wanted);
}

function sandboxNotFound() {
  return errorResponse(404, 'Sandbox not found', 'SANDBOX_NOT_FOUND');
}
