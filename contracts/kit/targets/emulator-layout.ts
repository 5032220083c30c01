import { httpUrlFor } from '../../../emulator/transports/http/http-routes.ts';

/** Base URLs of the emulator's mounts below an origin (http, container or a URL given). */
export function emulatorBaseUrl(origin: string): (mountId: string, vars: Record<string, string>) => string {
  return (mountId, vars) => {
    const sandboxVars: Record<string, string> = mountId === 'blaxel-sandbox' || mountId === 'tensorlake-runtime' ? { sandbox: vars.sandbox ?? 'contract' } : {};
    return httpUrlFor(origin.replace(/\/+$/, ''), mountId, { ...sandboxVars, ...vars });
  };
}
