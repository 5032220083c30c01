import { describe, expect, it } from 'vitest';
import { SURFACE_VARS } from '../../replay/provider-surfaces.ts';
import { HTTP_ROUTES, httpUrlFor, matchRoute } from './http-routes.ts';

describe('HTTP routes', () => {
  it('carry in their canonical prefix exactly the variables a fixture records for the surface', () => {
    for (const [mountId, vars] of Object.entries(SURFACE_VARS)) {
      // The first route of a mount is its canonical one (the edge layout adds `workspace`).
      const route = HTTP_ROUTES.find((r) => r.mountId === mountId);
      expect(route, mountId).toBeDefined();
      const inPrefix = route!.prefix.split('/').filter((s) => s.startsWith(':')).map((s) => s.slice(1));
      expect(inPrefix, mountId).toEqual(vars);
    }
    expect(new Set(HTTP_ROUTES.map((r) => r.mountId))).toEqual(new Set(Object.keys(SURFACE_VARS)));
  });

  it('give back, from a URL they built, the mount and its variables', () => {
    const url = new URL(httpUrlFor('http://127.0.0.1:1', 'blaxel-sandbox', { sandbox: 'a b' }) + '/process');
    expect(matchRoute(url.pathname)).toEqual({ mountId: 'blaxel-sandbox', vars: { sandbox: 'a b' }, rest: '/process' });
  });

  it("serve envd's /files at the root too, as the path of its own, while E2B's URLs are built under /e2b/envd", () => {
    expect(matchRoute('/files')).toEqual({ mountId: 'e2b-envd', vars: {}, rest: '/files' });
    expect(matchRoute('/e2b/envd/files')).toEqual({ mountId: 'e2b-envd', vars: {}, rest: '/files' });
    expect(httpUrlFor('http://127.0.0.1:1', 'e2b-envd', {})).toBe('http://127.0.0.1:1/e2b/envd');
    expect(matchRoute('/filesystem')).toBeUndefined();
  });
});
