/**
 * Where each mount lives on the one HTTP port. Every provider has its own prefix, and below
 * it the provider's own paths, so a client only changes its base URL.
 */
export interface HttpRoute {
  mountId: string;
  /** Segments; a segment starting with ':' captures a variable. */
  prefix: string;
  /** The prefix is a path of the mount's own, kept in `rest`, not a place above its paths. */
  ownPath?: boolean;
}

// Longest prefixes first: the first route whose prefix matches wins.
export const HTTP_ROUTES: readonly HttpRoute[] = [
  { mountId: 'blaxel-sandbox', prefix: '/blaxel/sandboxes/:sandbox' },
  { mountId: 'blaxel-control', prefix: '/blaxel/v0' },
  // The real edge layout (`BL_RUN_URL`): `{run}/{workspace}/sandboxes/{name}/process...`.
  // After /blaxel/v0, so the control plane is never taken for a workspace named v0.
  { mountId: 'blaxel-sandbox', prefix: '/blaxel/:workspace/sandboxes/:sandbox' },
  { mountId: 'tensorlake-runtime', prefix: '/tensorlake/sandboxes/:sandbox' },
  { mountId: 'tensorlake-lifecycle', prefix: '/tensorlake' },
  { mountId: 'agentbox', prefix: '/agentbox' },
  // envd before the API: with the SDK's `sandboxUrl` every sandbox shares /e2b/envd, and the
  // E2b-Sandbox-Id header names it.
  { mountId: 'e2b-envd', prefix: '/e2b/envd' },
  { mountId: 'e2b-api', prefix: '/e2b' },
  // Given `sandboxUrl`, the SDK's downloadUrl/uploadUrl put envd's /files at that URL's root,
  // dropping its path (`new URL('/files', sandboxUrl)`); a signed one still finds its sandbox.
  { mountId: 'e2b-envd', prefix: '/files', ownPath: true },
];

export interface RouteMatch {
  mountId: string;
  vars: Record<string, string>;
  /** The rest of the path, below the prefix, still percent-encoded; '/' at least. */
  rest: string;
}

export function matchRoute(pathname: string, routes: readonly HttpRoute[] = HTTP_ROUTES): RouteMatch | undefined {
  const segments = pathname.split('/');
  for (const route of routes) {
    const wanted = segmentsOf(route.prefix);
    if (segments.length < wanted.length) continue;
    const vars: Record<string, string> = {};
    let ok = true;
    for (let i = 1; i < wanted.length; i++) {
      const want = wanted[i];
      const got = segments[i];
      if (want.startsWith(':')) {
        if (!got) {
          ok = false;
          break;
        }
        try {
          vars[want.slice(1)] = decodeURIComponent(got);
        } catch {
          ok = false;
          break;
        }
      } else if (want !== got) {
        ok = false;
        break;
      }
    }
    if (!ok) continue;
    if (route.ownPath) return { mountId: route.mountId, vars, rest: pathname };
    const rest = '/' + segments.slice(wanted.length).join('/');
    return { mountId: route.mountId, vars, rest: rest === '/' && segments.length === wanted.length ? '/' : rest };
  }
  return undefined;
}

/** Prefixes split once (a few, from the route table and the msw layout), not per request and route. */
const SEGMENTS = new Map<string, readonly string[]>();

function segmentsOf(prefix: string): readonly string[] {
  let segments = SEGMENTS.get(prefix);
  if (!segments) {
    segments = prefix.split('/');
    // Bounded all the same, should a caller ever pass prefixes made per request.
    if (SEGMENTS.size < 256) SEGMENTS.set(prefix, segments);
  }
  return segments;
}

/** The base URL of a mount on this server, e.g. http://127.0.0.1:4747/blaxel/sandboxes/box. */
export function httpUrlFor(origin: string, mountId: string, vars: Record<string, string>, routes: readonly HttpRoute[] = HTTP_ROUTES): string {
  const route = routes.find((r) => r.mountId === mountId && !r.ownPath && r.prefix.split('/').every((s) => !s.startsWith(':') || s.slice(1) in vars));
  if (!route) throw new Error(`Failed to build a URL: no HTTP route for mount '${mountId}'.`);
  const path = route.prefix
    .split('/')
    .map((s) => (s.startsWith(':') ? encodeURIComponent(wellFormed(vars[s.slice(1)])) : s))
    .join('/');
  return origin + path;
}

/** A lone UTF-16 surrogate cannot be percent-encoded; it stands for U+FFFD in a URL, as in WHATWG URLs. */
function wellFormed(text: string): string {
  return text.replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, '\uFFFD');
}
