import type { BaseUrls, EmulatorOptions } from '../index.ts';
import { PROVIDER_NAMES, type ProviderName } from '../providers/provider.ts';
import { isLoopback } from '../transports/http/browser-guard.ts';

/**
 * What `start` prints to stderr when the emulator faces a network with a provider open to
 * anyone: every such provider runs any command sent to it, as the user who started it.
 * Undefined when it listens on loopback only, or every provider served needs a token.
 */
export function exposureWarning(options: EmulatorOptions): string | undefined {
  const host = options.host ?? '127.0.0.1';
  if (isLoopback(host)) return undefined;
  const open = (options.providers ?? PROVIDER_NAMES).filter((p) => options.tokens?.[p] === undefined);
  if (open.length === 0) return undefined;
  const flags = open.map((p) => `--${p}-token <secret>`).join(' ');
  const bar = '!'.repeat(78);
  return [
    bar,
    `WARNING: listening on ${host}, beyond this machine, with no token for ${open.join(', ')}.`,
    'Anyone who can reach this port can run any command here, as this user.',
    `Require a token (${flags}), or listen on 127.0.0.1 (in a container, publish the port`,
    "to the host's loopback only: docker run -p 127.0.0.1:4747:4747 ...).",
    bar,
  ].join('\n');
}

/**
 * What `npm start` prints: per provider, its base URL and the exact settings that aim its SDK
 * or curl at the emulator. Copy-paste ready.
 */
export function startBanner(urls: BaseUrls, options: EmulatorOptions): string {
  const served = options.providers ?? PROVIDER_NAMES;
  const token = (p: ProviderName) => options.tokens?.[p];
  const lines = [`sandbox-emulator listening on ${urls.origin} (fidelity: ${options.fidelity ?? 'spec'})`, ''];
  if (served.includes('blaxel')) {
    const key = token('blaxel') ?? 'any-key';
    lines.push(
      'Blaxel',
      `  sandbox API   ${placeholder(urls.blaxel.sandbox('{name}'))}   (a sandbox exists from its first use)`,
      `  control plane ${urls.blaxel.control}`,
      `  @blaxel/core  BL_API_URL=${urls.blaxel.control} BL_WORKSPACE=local BL_API_KEY=${key} BL_DISABLE_H2=true DO_NOT_TRACK=1`,
      `                or new SandboxInstance({ metadata: { name: 'my-box' }, spec: {}, forceUrl: '${urls.blaxel.sandbox('my-box')}' })`,
      `  curl          curl -s ${urls.blaxel.sandbox('my-box')}/process -H 'content-type: application/json' ` +
        `${token('blaxel') ? `-H 'authorization: Bearer ${key}' ` : ''}-d '{"command":"echo hello","waitForCompletion":true}'`,
      '',
    );
  }
  if (served.includes('tensorlake')) {
    const key = token('tensorlake') ?? 'any-key';
    lines.push(
      'Tensorlake',
      `  runtime API   ${placeholder(urls.tensorlake.sandbox('{sandbox_id}'))}   (a sandbox exists from its first use)`,
      `  lifecycle     ${urls.tensorlake.api}/v1/namespaces/{namespace}/sandboxes`,
      `  tensorlake    Sandbox.create({ apiUrl: '${urls.tensorlake.api}', apiKey: '${key}' })`,
      `                or Sandbox.connect({ sandboxId: 'sbx-1', proxyUrl: '${urls.tensorlake.sandbox('sbx-1')}', apiKey: '${key}' })`,
      `  curl          curl -s ${urls.tensorlake.sandbox('sbx-1')}/api/v1/processes -H 'content-type: application/json' ` +
        `-H 'authorization: Bearer ${key}' -d '{"command":"echo","args":["hello"]}'`,
      '',
    );
  }
  if (served.includes('agentbox')) {
    const key = token('agentbox') ?? 'any-key';
    const pools = ['default', ...(options.pools ?? []).map((p) => p.name)].join(', ');
    lines.push(
      'AgentBox',
      `  endpoint      ${urls.agentbox.endpoint}   (pools: ${pools})`,
      `  clients       AGENTBOX_ENDPOINT=${urls.agentbox.endpoint} AGENTBOX_API_KEY=${key}`,
      `  curl          curl -s ${urls.agentbox.endpoint}/v1/sandboxes -H 'content-type: application/json' ` +
        `-H 'AGENTBOX-API-KEY: ${key}' -d '{"poolName":"default"}'`,
      '',
    );
  }
  if (served.includes('e2b')) {
    const key = token('e2b') ?? 'e2b_0123456789abcdef';
    lines.push(
      'E2B',
      `  API           ${urls.origin}/e2b`,
      `  envd          ${urls.origin}/e2b/envd   (every sandbox; the SDK names it in the E2b-Sandbox-Id header)`,
      `  e2b           E2B_API_URL=${urls.origin}/e2b E2B_SANDBOX_URL=${urls.origin}/e2b/envd E2B_API_KEY=${key}`,
      `                or Sandbox.create({ apiUrl: '${urls.origin}/e2b', sandboxUrl: '${urls.origin}/e2b/envd', apiKey: '${key}' })`,
      '',
    );
  }
  const tokens = Object.values(options.tokens ?? {}).some((t) => t !== undefined && t !== '');
  if (options.ui === false) lines.push('Web view      off (--no-ui)');
  else if (tokens) lines.push('Web view      off: provider tokens are set, and the view has no login of its own');
  else lines.push(`Web view      ${urls.origin}/_emulator/   (sandboxes, processes and their output, live)`);
  lines.push('');
  lines.push('Ctrl-C ends every process the emulator started.');
  return lines.join('\n');
}

/** A URL built around a `{name}` placeholder, with the braces as the README writes them. */
function placeholder(url: string): string {
  return url.replace(/%7B([a-z_]+)%7D/gi, '{$1}');
}
