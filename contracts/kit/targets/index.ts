import type { ContractTarget } from '../contract-target.ts';
import { containerUnavailable, startContainerTarget } from './container-target.ts';
import { startHttpTarget, urlTarget } from './http-target.ts';
import { startInProcessTarget } from './inprocess-target.ts';
import { liveTarget, liveUnavailable } from './live-target.ts';

export const TARGET_KINDS = ['inprocess', 'http', 'container', 'live'] as const;

export interface TargetOptions {
  /** Emulator fidelity for the emulator targets. Default 'spec'. */
  fidelity?: 'spec' | 'observed';
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
  const args = fidelity === 'spec' ? [] : ['--fidelity', fidelity];
  switch (kind) {
    case 'inprocess':
      return startInProcessTarget({ fidelity, providers: [provider as 'blaxel'] });
    case 'http':
      return startHttpTarget({ args: [...args, '--providers', provider] });
    case 'container':
      return startContainerTarget({ args: [...args, '--providers', provider] });
    case 'live':
      return liveTarget(provider);
    default:
      if (/^https?:\/\//.test(kind)) return urlTarget(kind, options.headers);
      throw new Error(`Failed to open target '${kind}': use ${TARGET_KINDS.join(', ')} or a URL.`);
  }
}
