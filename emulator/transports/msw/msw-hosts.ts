import { matchRoute, type RouteMatch } from '../http/http-routes.ts';

/**
 * Where the providers really live, so that code aimed at the real hosts reaches the emulator
 * unchanged. Only the AgentBox endpoint is the user's (it is self-hosted).
 */
export interface MswLayout {
  /** Workspace in the Blaxel sandbox hosts the emulator hands out. Default 'local'. */
  blaxelWorkspace: string;
  /** Region in those hosts. Default 'us-pdx-1'. */
  blaxelRegion: string;
  /** The AgentBox endpoint the user's code is given (without /v1). Default https://agentbox.local. */
  agentboxEndpoint: string;
}

export const DEFAULT_MSW_LAYOUT: MswLayout = {
  blaxelWorkspace: 'local',
  blaxelRegion: 'us-pdx-1',
  agentboxEndpoint: 'https://agentbox.local',
};

/** Hosts of the providers: a request there that matches no mount is an error, never the network. */
const PROVIDER_HOSTS = [/(^|\.)blaxel\.ai$/, /(^|\.)blaxel\.dev$/, /(^|\.)bl\.run$/, /(^|\.)tensorlake\.ai$/, /(^|\.)e2b\.(app|dev|pro)$/, /(^|\.)e2b-staging\.dev$/];

// `sbx-{sandbox}-{workspace}.{region}.bl.run`: the sandbox name may hold dashes, the workspace
// is the last dash-separated part.
const BLAXEL_SANDBOX_HOST = /^sbx-(.+)-([^-.]+)\.([^.]+)\.bl\.run$/;
const TENSORLAKE_SANDBOX_HOST = /^([^.]+)\.sandbox\.tensorlake\.ai$/;
// E2B's domains (the SDK's own list): `api.<domain>` is the lifecycle API; envd is on the shared
// `sandbox.<domain>` (the header names the sandbox) or on `49983-<sandbox>.<domain>`, the port
// envd listens on inside every sandbox. Another port is a server of the user's in the sandbox
// (`sandbox.getHost(port)`), reached through E2B's proxy: see SandboxPortMatch.
const E2B_DOMAINS = String.raw`(?:e2b\.app|e2b\.dev|e2b\.pro|e2b-staging\.dev)`;
const E2B_PORT_HOST = new RegExp(String.raw`^(\d{1,5})-([a-z0-9]+)\.${E2B_DOMAINS}$`);
const E2B_API_HOST = new RegExp(String.raw`^api\.${E2B_DOMAINS}$`);
const E2B_SHARED_ENVD_HOST = new RegExp(String.raw`^sandbox\.${E2B_DOMAINS}$`);
const E2B_ENVD_HOST = new RegExp(String.raw`^49983-([a-z0-9]+)\.${E2B_DOMAINS}$`);

/** A port of a sandbox's own server, on the provider's proxy host for it; no mount serves it. */
export interface SandboxPortMatch {
  mountId: undefined;
  reason: string;
  sandboxPort: { provider: 'e2b'; sandbox: string; port: number };
}

export type MswMatch = RouteMatch | { mountId: undefined; reason: string } | SandboxPortMatch | undefined;

/**
 * The mount a URL on a provider host reaches; a reason when it is a provider host the emulator
 * does not serve; undefined when it is no provider's host at all (left to other handlers).
 */
export function matchMswUrl(url: URL, layout: MswLayout): MswMatch {
  const host = url.hostname.toLowerCase();
  const path = url.pathname;
  const under = (mountId: string, vars: Record<string, string>, prefix?: string): RouteMatch | undefined => {
    if (!prefix) return { mountId, vars, rest: path || '/' };
    const m = matchRoute(path, [{ mountId, prefix }]);
    return m && { mountId, vars: { ...vars, ...m.vars }, rest: m.rest };
  };
  const agentbox = new URL(layout.agentboxEndpoint);
  if (url.origin === agentbox.origin) {
    const base = agentbox.pathname.replace(/\/+$/, '');
    if (base === '' || path === base || path.startsWith(`${base}/`)) {
      return { mountId: 'agentbox', vars: {}, rest: path.slice(base.length) || '/' };
    }
  }
  const sandboxHost = BLAXEL_SANDBOX_HOST.exec(host);
  if (sandboxHost) return under('blaxel-sandbox', { sandbox: sandboxHost[1], workspace: sandboxHost[2] });
  if (host === 'api.blaxel.ai' || host === 'api.blaxel.dev') {
    const m = under('blaxel-control', {}, '/v0');
    if (m) return m;
  }
  if (host === 'run.blaxel.ai' || host === 'run.blaxel.dev') {
    const m = under('blaxel-sandbox', {}, '/:workspace/sandboxes/:sandbox');
    if (m) return m;
  }
  const tlSandbox = TENSORLAKE_SANDBOX_HOST.exec(host);
  if (tlSandbox) return under('tensorlake-runtime', { sandbox: tlSandbox[1] });
  if (host === 'api.tensorlake.ai') return under('tensorlake-lifecycle', {});
  if (E2B_API_HOST.test(host)) return under('e2b-api', {});
  if (E2B_SHARED_ENVD_HOST.test(host)) return under('e2b-envd', {});
  const envdHost = E2B_ENVD_HOST.exec(host);
  if (envdHost) return under('e2b-envd', { sandbox: envdHost[1] });
  const portHost = E2B_PORT_HOST.exec(host);
  if (portHost && Number(portHost[1]) >= 1 && Number(portHost[1]) <= 65535) {
    return { mountId: undefined, reason: `${url.origin} is port ${portHost[1]} of sandbox ${portHost[2]}, a server of its own`, sandboxPort: { provider: 'e2b', sandbox: portHost[2], port: Number(portHost[1]) } };
  }
  if (PROVIDER_HOSTS.some((h) => h.test(host))) {
    return { mountId: undefined, reason: `${url.origin}${path} is a provider host the emulator does not serve` };
  }
  return undefined;
}

/** The base URL of a mount on the providers' real hosts. */
export function mswUrlFor(mountId: string, vars: Record<string, string>, layout: MswLayout): string {
  switch (mountId) {
    case 'blaxel-sandbox':
      return `https://sbx-${vars.sandbox}-${vars.workspace ?? layout.blaxelWorkspace}.${layout.blaxelRegion}.bl.run`;
    case 'blaxel-control':
      return 'https://api.blaxel.ai/v0';
    case 'tensorlake-runtime':
      return `https://${vars.sandbox}.sandbox.tensorlake.ai`;
    case 'tensorlake-lifecycle':
      return 'https://api.tensorlake.ai';
    case 'agentbox':
      return layout.agentboxEndpoint.replace(/\/+$/, '');
    case 'e2b-api':
      return 'https://api.e2b.app';
    case 'e2b-envd':
      // The shared host the SDK uses; a sandbox's own host when one is named.
      return vars.sandbox ? `https://49983-${vars.sandbox}.e2b.app` : 'https://sandbox.e2b.app';
    default:
      throw new Error(`Failed to build a URL: no host for mount '${mountId}'.`);
  }
}
