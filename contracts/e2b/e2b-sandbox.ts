import type { ScenarioContext } from '../kit/contract-suite.ts';
import { ScenarioStop, type CallOptions, type SpecClient } from '../kit/spec-client.ts';

/** The template every sandbox of the suite starts from: E2B's own base image. */
export const TEMPLATE = 'base';

/** A sandbox a scenario works in, and how an envd call reaches it. */
export interface E2bSandbox {
  id: string;
  /**
   * An envd call's options: the sandbox in the base URL (a live target's envd host is
   * `49983-<id>.<domain>`) and in the `E2b-Sandbox-Id` header (the emulator's shared envd URL,
   * and E2B's `sandbox.<domain>`), with its `X-Access-Token` when the API gave one (a secure sandbox).
   */
  envd(options?: CallOptions): CallOptions;
}

export function sandboxAt(id: string, accessToken?: string): E2bSandbox {
  const headers: Record<string, string> = { 'E2b-Sandbox-Id': id, ...(accessToken && { 'X-Access-Token': accessToken }) };
  return {
    id,
    envd: (options = {}) => ({ ...options, vars: { sandbox: id, ...options.vars }, headers: { ...headers, ...options.headers } }),
  };
}

/**
 * A fresh sandbox from createSandbox, killed after the scenario. A create that fails the check
 * stops the scenario (the failure is recorded on createSandbox).
 */
export async function createSandbox(client: SpecClient, context: ScenarioContext, body: Record<string, unknown> = {}, operationId = 'createSandbox'): Promise<E2bSandbox & { created: any }> {
  const res = await client.call(operationId, { json: { templateID: TEMPLATE, timeout: 300, ...body } });
  const id: unknown = res.json?.sandboxID;
  if (typeof id === 'string' && id) context.cleanup(() => client.call('killSandbox', { params: { sandboxID: id }, untracked: true }));
  const ok = client.expect(operationId, res.status === 201 && typeof id === 'string' && /^[a-z0-9]+$/.test(id), `creating a sandbox answered ${res.status} ${res.text.slice(0, 160)}`);
  if (!ok) throw new ScenarioStop(`${operationId} answered ${res.status}`);
  return { ...sandboxAt(id as string, res.json.envdAccessToken), created: res.json };
}

/**
 * The sandbox an envd scenario runs in: the one the target names (a live sandbox of the user's:
 * the suite creates none on a live account, where each costs money), or a fresh one.
 */
export async function openSandbox(client: SpecClient, context: ScenarioContext, purpose: string): Promise<E2bSandbox> {
  const given = client.target.sandbox;
  if (!given) return createSandbox(client, context, { metadata: { contract: purpose } });
  // Its details carry the access token envd wants of a secure sandbox.
  const res = await client.call('getSandbox', { params: { sandboxID: given } });
  if (res.status !== 200) throw new Error(`the sandbox ${given} the target names answered ${res.status}: ${res.text.slice(0, 160)}`);
  return sandboxAt(given, res.json?.envdAccessToken);
}
