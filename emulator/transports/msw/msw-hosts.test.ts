import { describe, expect, it } from 'vitest';
import { DEFAULT_MSW_LAYOUT, matchMswUrl, mswUrlFor } from './msw-hosts.ts';
import { keepE2bOnFetch } from './e2b-on-fetch.ts';

const match = (url: string) => matchMswUrl(new URL(url), DEFAULT_MSW_LAYOUT);

describe("E2B's real hosts", () => {
  it('api.<domain> is the lifecycle API, sandbox.<domain> and 49983-<id>.<domain> are envd, on each of the SDK’s domains', () => {
    expect(match('https://api.e2b.app/v2/sandboxes')).toEqual({ mountId: 'e2b-api', vars: {}, rest: '/v2/sandboxes' });
    expect(match('https://api.e2b.dev/sandboxes')).toMatchObject({ mountId: 'e2b-api' });
    expect(match('https://sandbox.e2b.app/process.Process/Start')).toEqual({ mountId: 'e2b-envd', vars: {}, rest: '/process.Process/Start' });
    expect(match('https://49983-abc123.e2b-staging.dev/health')).toEqual({ mountId: 'e2b-envd', vars: { sandbox: 'abc123' }, rest: '/health' });
  });

  it('another port of a sandbox is a server of its own (getHost), never a mount and never sent to E2B', () => {
    expect(match('https://3000-abc123.e2b.app/')).toEqual({
      mountId: undefined,
      reason: 'https://3000-abc123.e2b.app is port 3000 of sandbox abc123, a server of its own',
      sandboxPort: { provider: 'e2b', sandbox: 'abc123', port: 3000 },
    });
    expect(match('https://70000-abc123.e2b.app/')).toEqual({ mountId: undefined, reason: 'https://70000-abc123.e2b.app/ is a provider host the emulator does not serve' });
    expect(match('https://example.com/')).toBeUndefined();
  });

  it('the URLs handed out are the ones the SDK uses by default', () => {
    expect([mswUrlFor('e2b-api', {}, DEFAULT_MSW_LAYOUT), mswUrlFor('e2b-envd', {}, DEFAULT_MSW_LAYOUT), mswUrlFor('e2b-envd', { sandbox: 'abc' }, DEFAULT_MSW_LAYOUT)]).toEqual([
      'https://api.e2b.app',
      'https://sandbox.e2b.app',
      'https://49983-abc.e2b.app',
    ]);
  });

  it('keeping the e2b SDK on fetch hides undici from it alone: everyone else still loads it', async () => {
    keepE2bOnFetch();
    const undici = await import('undici');
    expect(typeof undici.fetch).toBe('function');
  });
});
