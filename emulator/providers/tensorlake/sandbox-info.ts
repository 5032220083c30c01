import type { HandlerContext } from '../../kernel/exchange.ts';
import type { TensorlakeSandbox } from './tensorlake-state.ts';

/**
 * A sandbox as the lifecycle API's SandboxInfo describes it, for get and list: the id as `id`
 * only. The SDKs' SandboxInfo takes `id` or `sandbox_id` as one field (a serde alias), so an
 * answer with both fails to parse ("duplicate field `sandbox_id`" from tensorlake@0.5.89's
 * `info()`, `status()` and `Sandbox.list()`). The create answer adds `sandbox_id`, which the
 * SDKs' create response requires (see `toCreateSandboxResponse`). `sandbox_url` is this
 * emulator's runtime API for the sandbox, so an SDK that created or fetched it talks to the
 * emulator next (a localhost URL keeps its path in the SDKs, which is what makes the
 * per-sandbox prefix work).
 */
export function toSandboxInfo(sandbox: TensorlakeSandbox, ctx: HandlerContext) {
  const data = sandbox.data;
  return {
    id: sandbox.id,
    namespace: data.namespace,
    // A sandbox is running from the moment it exists: the emulator has nothing to boot.
    status: 'running' as const,
    name: data.name,
    image: data.image,
    resources: data.resources,
    timeout_secs: data.timeout_secs,
    entrypoint: data.entrypoint,
    sandbox_url: ctx.urlFor('tensorlake-runtime', { sandbox: sandbox.id }),
    created_at: sandbox.createdAt,
    terminated_at: null,
    termination_reason: null,
  };
}

/**
 * The create answer: SandboxInfo plus `sandbox_id`, the field the SDKs' create response requires
 * ("missing field `sandbox_id`" without it); that struct ignores the extra `id`.
 */
export function toCreateSandboxResponse(sandbox: TensorlakeSandbox, ctx: HandlerContext) {
  return { ...toSandboxInfo(sandbox, ctx), sandbox_id: sandbox.id };
}
