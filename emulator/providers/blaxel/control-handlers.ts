import type { Handler } from '../../kernel/exchange.ts';
import { json } from '../respond.ts';
import { newSandboxData, type BlaxelContext } from './blaxel-context.ts';
import { controlError } from './dialect.ts';
import { dropUploads } from './multipart-uploads.ts';
import { newSandboxRecord, runtimeEnv, type SandboxRecord } from './sandbox-record.ts';

type SandboxBody = NonNullable<Parameters<typeof newSandboxRecord>[0]['body']> & { metadata: { name: string } };

/**
 * The control-plane subset @blaxel/core calls (blaxel-control.yaml). It shares the sandbox
 * registry with the sandbox mount: a sandbox created here is the one the process calls reach
 * at `metadata.url`, and one made by a first process call is listed here.
 */
export function controlHandlers(bx: BlaxelContext): Record<string, Handler> {
  return {
    listSandboxes: () => json(200, bx.registry.list().map((s) => s.data.record)),

    getSandbox: (ctx) => {
      const sandbox = bx.registry.get(ctx.params.sandboxName);
      if (!sandbox) return notFound(ctx.params.sandboxName);
      return json(200, sandbox.data.record);
    },

    createSandbox: async (ctx) => {
      const body = ctx.body as SandboxBody;
      const name = body.metadata.name;
      const createIfNotExist = ctx.query.get('createIfNotExist') === 'true';
      const answerExisting = (existing: SandboxRecord) =>
        createIfNotExist ? json(200, existing) : controlError(409, `sandbox ${name} already exists`, 'SANDBOX_ALREADY_EXISTS');
      const existing = bx.registry.get(name);
      if (existing) return answerExisting(existing.data.record);
      const record = newSandboxRecord({
        name,
        url: ctx.urlFor('blaxel-sandbox', { sandbox: name }),
        workspace: ctx.headers['x-blaxel-workspace'],
        now: bx.now(),
        body,
      });
      try {
        await bx.registry.create(name, newSandboxData(record), runtimeEnv(record.spec));
      } catch (error) {
        // Made meanwhile, by another create or by a first process call: wait for that one to be
        // ready (getOrCreate hands back a creation in flight), then answer as for an existing one.
        const raced = bx.registry.get(name) ?? (await bx.registry.getOrCreate(name, () => newSandboxData(record)).catch(() => undefined));
        if (raced) return answerExisting(raced.data.record);
        throw error;
      }
      return json(200, record);
    },

    deleteSandbox: async (ctx) => {
      const name = ctx.params.sandboxName;
      const sandbox = bx.registry.get(name);
      if (!sandbox) return notFound(name);
      // Its processes are ended before the answer, so a delete never leaves one behind; none
      // waiting for a restart starts again.
      for (const entry of sandbox.data.processes) entry.cancelRestarts();
      await bx.registry.delete(name);
      await dropUploads(sandbox);
      return json(200, { ...sandbox.data.record, status: 'DELETING' });
    },
  };
}

function notFound(name: string) {
  return controlError(404, `sandbox ${name} not found`);
}
