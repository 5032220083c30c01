import { register } from 'node:module';

// On Node the e2b SDK sends every request through its own undici agent (HTTP/2), not through
// fetch, so msw would never see them and they would go to E2B. The SDK falls back to the global
// fetch when it cannot load undici; this resolve hook makes `undici` (and its `undici8` alias)
// unloadable for the SDK's own files, and for nothing else. The SDK loads undici on its first
// request, not at import, so registering before that is enough.
const HIDE_UNDICI_FROM_E2B = `
export async function resolve(specifier, context, next) {
  if ((specifier === 'undici' || specifier === 'undici8') && /[\\\\/]node_modules[\\\\/]e2b[\\\\/]/.test(context.parentURL ?? '')) {
    const error = new Error('sandbox-emulator keeps the e2b SDK on fetch, where msw answers');
    error.code = 'ERR_MODULE_NOT_FOUND';
    throw error;
  }
  return next(specifier, context);
}
`;

let registered = false;

/** Keeps the e2b SDK's requests on the global fetch, where msw answers them (once per process). */
export function keepE2bOnFetch(): void {
  if (registered) return;
  registered = true;
  register(`data:text/javascript,${encodeURIComponent(HIDE_UNDICI_FROM_E2B)}`);
}
