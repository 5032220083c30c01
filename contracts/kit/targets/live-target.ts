import type { ContractTarget } from '../contract-target.ts';

/** What each provider's live target needs from the environment. */
const NEEDS: Record<string, string[]> = {
  blaxel: ['BL_API_KEY', 'BL_WORKSPACE', 'BL_SANDBOX'],
  tensorlake: ['TENSORLAKE_API_KEY', 'TENSORLAKE_SANDBOX_ID'],
  agentbox: ['AGENTBOX_ENDPOINT', 'AGENTBOX_API_KEY'],
  e2b: ['E2B_API_KEY'],
};

/** Scenarios the live targets never run, and why. */
const LIVE_SKIPS: Record<string, Record<string, string>> = {
  blaxel: { 'control plane': 'live: the suite does not create or delete sandboxes on your account' },
  tensorlake: { lifecycle: 'live: the suite does not create or delete sandboxes on your account' },
  agentbox: {},
  // Each of these makes a sandbox of its own (a fresh secure one; one to pause), which costs money.
  e2b: {
    lifecycle: 'live: the suite does not create or kill sandboxes on your account (each one costs money)',
    'secure access': 'live: the suite does not create or kill sandboxes on your account (each one costs money)',
    pause: 'live: the suite does not create, pause or kill sandboxes on your account (each one costs money)',
  },
};

/**
 * The E2B scenarios that run in a sandbox (envd lives in one): live, they need a sandbox the
 * user names, since the suite creates none there.
 */
const E2B_ENVD_SCENARIOS = ['commands', 'background', 'stdin', 'pty', 'unknown pids', 'files', 'watch'];

export function liveUnavailable(provider: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const missing = (NEEDS[provider] ?? []).filter((name) => !env[name]);
  return missing.length > 0 ? `no live ${provider} credentials: set ${missing.join(', ')}` : undefined;
}

/**
 * The real provider. It only runs commands the suite starts, in the sandbox the user names,
 * and removes what it started (processes killed, AgentBox sandboxes deleted).
 */
export function liveTarget(provider: string, env: NodeJS.ProcessEnv = process.env): ContractTarget {
  const reason = liveUnavailable(provider, env);
  if (reason) throw new Error(`Failed to open the live target: ${reason}.`);
  const skips = { ...LIVE_SKIPS[provider] };
  if (provider === 'agentbox' && !env.AGENTBOX_POOL) {
    for (const name of ['sandboxes', 'exec']) skips[name] = 'live: set AGENTBOX_POOL to a pool the suite may create sandboxes from';
  }
  if (provider === 'agentbox' && !env.AGENTBOX_LOG_POOL) {
    // The log scenarios drive the pool's own container (see CONTRACT_LOG_POOL in
    // contracts/agentbox/agentbox.suite.ts); an ordinary pool's output is not known in advance.
    for (const name of ['logs', 'logs stream']) skips[name] = 'live: set AGENTBOX_LOG_POOL to a pool built like the suite\'s contract-logs pool (see CONTRACT_LOG_POOL)';
  }
  if (provider === 'e2b') {
    if (!env.E2B_SANDBOX_ID) {
      for (const name of E2B_ENVD_SCENARIOS) {
        skips[name] = 'live: envd runs in a sandbox, and the suite creates none on your account (each costs money); set E2B_SANDBOX_ID to a running sandbox it may run commands and write files in';
      }
    }
    return e2bLiveTarget(env, skips);
  }
  if (provider === 'blaxel') {
    const run = (env.BL_RUN_URL ?? 'https://run.blaxel.ai').replace(/\/+$/, '');
    return {
      name: 'live',
      sandbox: env.BL_SANDBOX,
      baseUrl: (mountId, vars) =>
        mountId === 'blaxel-control' ? (env.BL_API_URL ?? 'https://api.blaxel.ai/v0') : `${run}/${env.BL_WORKSPACE}/sandboxes/${vars.sandbox ?? env.BL_SANDBOX}`,
      fetch: globalThis.fetch,
      headers: { 'x-blaxel-authorization': `Bearer ${env.BL_API_KEY}`, 'x-blaxel-workspace': env.BL_WORKSPACE! },
      skips,
      async close() {},
    };
  }
  if (provider === 'tensorlake') {
    return {
      name: 'live',
      sandbox: env.TENSORLAKE_SANDBOX_ID,
      baseUrl: (mountId) =>
        mountId === 'tensorlake-lifecycle' ? (env.TENSORLAKE_API_URL ?? 'https://api.tensorlake.ai') : `https://${env.TENSORLAKE_SANDBOX_ID}.sandbox.tensorlake.ai`,
      fetch: globalThis.fetch,
      headers: { authorization: `Bearer ${env.TENSORLAKE_API_KEY}` },
      skips,
      async close() {},
    };
  }
  const endpoint = env.AGENTBOX_ENDPOINT!.replace(/\/+$/, '');
  const pools: Record<string, string> = {};
  if (env.AGENTBOX_POOL) pools.default = env.AGENTBOX_POOL;
  if (env.AGENTBOX_LOG_POOL) pools['contract-logs'] = env.AGENTBOX_LOG_POOL;
  return {
    name: 'live',
    baseUrl: () => endpoint,
    fetch: globalThis.fetch,
    headers: { 'AGENTBOX-API-KEY': env.AGENTBOX_API_KEY! },
    skips,
    pools,
    async close() {},
  };
}

/**
 * E2B: the lifecycle API at E2B_API_URL (or api.<E2B_DOMAIN>, as the SDK), envd on the sandbox's
 * own host, `49983-<id>.<domain>` (the scenarios pass the sandbox as `vars.sandbox`). The API key
 * goes to the API alone, as the SDK sends it: envd takes the sandbox's access token instead.
 */
function e2bLiveTarget(env: NodeJS.ProcessEnv, skips: Record<string, string>): ContractTarget {
  const domain = env.E2B_DOMAIN || 'e2b.app';
  const api = (env.E2B_API_URL || `https://api.${domain}`).replace(/\/+$/, '');
  return {
    name: 'live',
    sandbox: env.E2B_SANDBOX_ID,
    baseUrl: (mountId, vars) => {
      if (mountId === 'e2b-api') return api;
      const sandbox = vars.sandbox ?? env.E2B_SANDBOX_ID;
      if (!sandbox) throw new Error('Failed to build an envd URL: no sandbox named. Pass vars.sandbox, or set E2B_SANDBOX_ID.');
      return `https://49983-${sandbox}.${domain}`;
    },
    fetch: (input, init) => {
      const url = String(input instanceof Request ? input.url : input);
      if (url === api || url.startsWith(`${api}/`)) return globalThis.fetch(input, init);
      const headers = new Headers(init?.headers);
      headers.delete('X-API-KEY');
      return globalThis.fetch(input, { ...init, headers });
    },
    headers: { 'X-API-KEY': env.E2B_API_KEY! },
    skips,
    async close() {},
  };
}
