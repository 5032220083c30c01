import { isIP } from 'node:net';

/**
 * Keeps web pages from driving the emulator. Every provider here runs commands on the machine
 * it is served from, and a browser will send a request to 127.0.0.1 for any page it has open:
 * a cross-site POST with a `text/plain` body needs no preflight, and a DNS-rebinding page
 * reaches us as "same-origin" under a name of its own. Provider clients (SDKs, curl, msw) send
 * no `Origin` and reach us by an address or a loopback name, so none of these checks touch them.
 */
export interface BrowserGuardOptions {
  /**
   * Host names accepted in the `Host` header besides IP addresses and loopback names, e.g. a
   * compose service name. A leading dot takes the subdomains too (`.internal`); `*` takes any
   * name (only behind something else that checks). Default: none.
   */
  allowedHosts?: readonly string[];
  /**
   * Browser origins allowed to call the emulator (`http://localhost:3000`), answered with CORS
   * headers for that origin alone. The emulator's own pages are always allowed. Default: none:
   * no page on the web, or on another local port, can call it.
   */
  allowOrigins?: readonly string[];
}

export type GuardVerdict =
  /** Serve it; `corsOrigin` is the allowed cross-origin caller the answer must name. */
  | { ok: true; corsOrigin?: string; preflight?: boolean }
  | { ok: false; status: 403 | 415; message: string };

export const PASS: GuardVerdict = { ok: true };

/** Headers as node:http gives them (lower-case names). */
type Headers = Record<string, string | string[] | undefined>;

export function checkBrowserAccess(method: string, headers: Headers, options: BrowserGuardOptions, listenHost: string): GuardVerdict {
  const host = one(headers.host);
  if (host !== undefined && !hostAllowed(host, options, listenHost)) {
    return {
      ok: false,
      status: 403,
      message: `Failed to serve the request: the Host '${host}' is not an address of this emulator. A page under another name may be a DNS-rebinding attack; if this name is yours, start the emulator with --allowed-host ${hostname(host) ?? host}.`,
    };
  }
  const origin = one(headers.origin);
  const site = one(headers['sec-fetch-site']);
  // No Origin and no Sec-Fetch-Site: not a browser, or a browser following a link the user typed.
  if (origin === undefined && (site === undefined || site === 'none' || site === 'same-origin')) return PASS;
  const sameOrigin = origin !== undefined ? host !== undefined && origin.toLowerCase() === `http://${host.toLowerCase()}` : site === 'same-origin';
  const allowed = sameOrigin || (origin !== undefined && (options.allowOrigins ?? []).includes(origin));
  if (!allowed) {
    const who = origin === undefined || origin === 'null' ? 'a page of another site' : `the page origin '${origin}'`;
    return {
      ok: false,
      status: 403,
      message: `Failed to serve the request: it came from ${who}, and web pages may not drive the emulator (it runs commands on this machine). If that page is yours, start the emulator with --allow-origin ${origin && origin !== 'null' ? origin : '<origin>'}.`,
    };
  }
  // A browser sends text/plain cross-origin without asking first, and Blaxel reads any body as
  // JSON whatever its type; a page of ours sends application/json, so a browser never needs this.
  if (method !== 'GET' && method !== 'HEAD' && /^\s*text\/plain\b/i.test(one(headers['content-type']) ?? '')) {
    return {
      ok: false,
      status: 415,
      message: 'Failed to serve the request: a browser request with a text/plain body is refused (a page can send one to any site without asking). Send JSON as application/json.',
    };
  }
  if (sameOrigin) return PASS;
  const preflight = method === 'OPTIONS' && headers['access-control-request-method'] !== undefined;
  return { ok: true, corsOrigin: origin, preflight };
}

/** CORS headers for an allowed origin: that origin by name, never `*`. */
export function corsHeaders(origin: string, requestHeaders?: string): Record<string, string> {
  return {
    'access-control-allow-origin': origin,
    vary: 'Origin',
    ...(requestHeaders !== undefined && {
      'access-control-allow-methods': 'GET, POST, PUT, PATCH, DELETE, HEAD, OPTIONS',
      'access-control-allow-headers': requestHeaders,
      'access-control-max-age': '600',
    }),
  };
}

/** True for the loopback addresses and names a machine cannot be reached by from outside. */
export function isLoopback(host: string): boolean {
  const name = host.replace(/^\[|\]$/g, '').toLowerCase();
  if (name === 'localhost' || name.endsWith('.localhost') || name === '::1') return true;
  return isIP(name) === 4 && name.startsWith('127.');
}

function hostAllowed(host: string, options: BrowserGuardOptions, listenHost: string): boolean {
  const name = hostname(host);
  if (name === undefined) return false;
  // A rebinding page needs a name of its own: a Host that is an address came from the user.
  if (isIP(name) !== 0 || isLoopback(name)) return true;
  // The Tensorlake SDK aims at a local proxy with `Host: <sandbox-id>.local` and no port; a page
  // would carry our port in its Host (unless the emulator listens on 80).
  if (name.endsWith('.local') && !host.includes(':', host.lastIndexOf(']') + 1)) return true;
  if (name === listenHost.toLowerCase()) return true;
  return (options.allowedHosts ?? []).some((allowed) => {
    const a = allowed.toLowerCase();
    return a === '*' || a === name || (a.startsWith('.') && (name.endsWith(a) || name === a.slice(1)));
  });
}

/** The name or address of a Host header, without its port and brackets; undefined if malformed. */
function hostname(host: string): string | undefined {
  const match = /^(?:\[([0-9a-f:.]+)\]|([^:[\]\s]+))(?::\d{1,5})?$/i.exec(host.trim());
  if (!match) return undefined;
  return (match[1] ?? match[2]).toLowerCase();
}

function one(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}
