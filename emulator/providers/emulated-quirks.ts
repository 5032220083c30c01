import { AGENTBOX_QUIRKS } from './agentbox/quirks.ts';
import { BLAXEL_QUIRKS } from './blaxel/quirks.ts';
import type { ProviderName } from './provider.ts';
import { TENSORLAKE_QUIRKS } from './tensorlake/quirks.ts';

/** The quirks each provider reproduces: what `--quirk` and `observed` fidelity can turn on. */
export const EMULATED_QUIRKS: Record<ProviderName, readonly string[]> = {
  blaxel: BLAXEL_QUIRKS,
  tensorlake: TENSORLAKE_QUIRKS,
  agentbox: AGENTBOX_QUIRKS,
  // None yet: no departure of E2B's from its own documents is on record here.
  e2b: [],
};

/**
 * The names in `quirks` that none of `providers` reproduces. A misspelt quirk would otherwise
 * start an emulator that silently behaves as if it had not been asked for.
 */
export function unknownQuirks(quirks: readonly string[], providers: readonly ProviderName[]): string[] {
  const known = new Set(providers.flatMap((p) => EMULATED_QUIRKS[p] ?? []));
  return quirks.filter((q) => !known.has(q));
}

/** "blaxel: a, b; tensorlake: c": the names, for help texts and errors. */
export function quirkList(providers: readonly ProviderName[]): string {
  return providers.map((p) => `${p}: ${EMULATED_QUIRKS[p].join(', ') || '(none)'}`).join('; ');
}
