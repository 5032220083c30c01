import type { AgentBoxPool, ProviderName } from '../../../emulator/providers/provider.ts';
import type { ContractTarget } from '../contract-target.ts';
import { containerUnavailable, startContainerTarget } from './container-target.ts';
import { startHttpTarget, urlTarget } from './http-target.ts';
import { startInProcessTarget } from './inprocess-target.ts';
import { liveTarget, liveUnavailable } from './live-target.ts';

export const TARGET_KINDS = ['inprocess', 'http', 'container', 'live'] as const;

/**
 * What the emulator targets (inprocess, http, container) start with so that every scenario of a
 * suite can run (a suite's `emulator`). Targets the kit does not start (live, a URL) have their
 * own pools and credentials and ignore it.
 */
export interface EmulatorSetup {
  /**
   * AgentBox pools beside the built-in `default`, for scenarios that drive a sandbox's own
   * containers. Default: none.
   */
  pools?: AgentBoxPool[];
  /**
   * A credential the emulator then requires on the suite's provider, and the headers that carry
   * it, sent with every call as a live target sends its key: the suite can check the provider's
   * 401 answers. Default: none (the emulator's auth is off).
   */
  auth?: { token: string; headers: Record<string, string> };
}

export interface TargetOptions extends EmulatorSetup {
  /** Emulator fidelity for the emulator targets. Default 'spec'. */
  fidelity?: 'spec' | 'observed';
  /** Quirks turned on one by one for the emulator targets, whatever the fidelity. */
  quirks?: string[];
  /** Credential headers for a URL target. */
  headers?: Record<string, string>;
}

/** Why a target cannot run here (printed as the skip reason), or undefined when it can. */
export async function targetUnavailable(kind: string, provider: string): Promise<string | undefined> {
  if (kind === 'container') return containerUnavailable();
  if (kind === 'live') return liveUnavailable(provider);
  return undefined;
}

/** Opens a target by kind, or by URL for an emulator (or anything with its layout) already running. */
export async function openTarget(kind: string, provider: string, options: TargetOptions = {}): Promise<ContractTarget> {
  const fidelity = options.fidelity ?? 'spec';
  const auth = options.auth;
  const args = [
    ...(fidelity === 'spec' ? [] : ['--fidelity', fidelity]),
    ...(options.quirks ?? []).flatMap((q) => ['--quirk', q]),
    ...poolArgs(options.pools ?? []),
    ...(auth ? [`--${provider}-token`, auth.token] : []),
    '--providers',
    provider,
  ];
  const withAuth = (target: ContractTarget): ContractTarget => (auth ? { ...target, headers: { ...target.headers, ...auth.headers } } : target);
  switch (kind) {
    case 'inprocess':
      return withAuth(
        await startInProcessTarget({ fidelity, quirks: options.quirks, providers: [provider as ProviderName], pools: options.pools, tokens: auth ? { [provider]: auth.token } : undefined }),
      );
    case 'http':
      return withAuth(await startHttpTarget({ args }));
    case 'container':
      return withAuth(await startContainerTarget({ args }));
    case 'live':
      return liveTarget(provider);
    default:
      if (/^https?:\/\//.test(kind)) return urlTarget(kind, options.headers);
      throw new Error(`Failed to open target '${kind}': use ${TARGET_KINDS.join(', ')} or a URL.`);
  }
}

/**
 * Pools as the CLI's `--pool name=container:command[;container:command...]` arguments (the http
 * and container targets start the CLI). The `;` separates containers there, so a command cannot
 * hold one: write such a command with newlines, which `sh -c` reads the same way.
 */
export function poolArgs(pools: readonly AgentBoxPool[]): string[] {
  return pools.flatMap((pool) => {
    if (pool.name.includes('=')) throw new Error(`Failed to pass AgentBox pool '${pool.name}' to the emulator CLI: --pool cannot carry a name with '='. Rename the pool.`);
    for (const c of pool.containers) {
      if (/[:;]/.test(c.name) || c.command.includes(';')) {
        throw new Error(
          `Failed to pass AgentBox pool '${pool.name}' to the emulator CLI: container '${c.name}' has a ';' in its command (or a ':' or ';' in its name), which --pool cannot carry. Separate the command's statements with newlines instead.`,
        );
      }
    }
    return ['--pool', `${pool.name}=${pool.containers.map((c) => `${c.name}:${c.command}`).join(';')}`];
  });
}
