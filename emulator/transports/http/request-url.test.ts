import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseRequestUrl } from './request-url.ts';

// A target URL parsing refuses (`//`: no host) must fail alike.
function viaUrl(target: string) {
  try {
    const url = new URL(target, 'http://localhost');
    return { pathname: url.pathname, search: url.search, query: [...url.searchParams] };
  } catch (error) {
    return { threw: (error as Error).message };
  }
}

function ours(target: string) {
  try {
    const parsed = parseRequestUrl(target);
    return { pathname: parsed.pathname, search: parsed.search, query: [...parsed.searchParams] };
  } catch (error) {
    return { threw: (error as Error).message };
  }
}

describe('parseRequestUrl', () => {
  const cases: Record<string, string[]> = {
    'splits plain targets as new URL does': [
      '/blaxel/sandboxes/box/process/12',
      '/blaxel/sandboxes/box/process/12?',
      '/agentbox/v1/sandboxes/x/logs?lines=5&source=stdout&lines=7',
      '/a/b?x=%20y&z=a+b&q=1.5&r=?&s',
      '/a%2Fb/c%zz?d=%zz',
      '/a//b',
      '/??',
      '/a??b=1',
    ],
    'leaves what URL parsing changes to new URL: dot segments, encodings, backslashes, hosts': [
      '/a/../b',
      '/a/%2e%2E/b',
      '/a/.%2e/b?x=1',
      '/a b?c d',
      '/é?ü=1',
      '/a\\b',
      '//evil/x',
      '//',
      '/a#frag',
      '/a?b#frag',
      "/a?it's",
      '/a\t/b',
      '*',
      'http://other/x?y=1',
    ],
  };
  for (const [name, targets] of Object.entries(cases)) {
    it(name, () => {
      for (const target of targets) expect(ours(target), target).toEqual(viaUrl(target));
    });
  }

  it('agrees with new URL on generated targets', () => {
    const alphabet = [...'/?#%.\\ aZ09-_~!$&\'()*+,;=:@[]{}|^`"<>\t\ne2E', 'é', '%2e', '%2E', '..', '//'];
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...alphabet), { maxLength: 30 }), (parts) => {
        const target = `/${parts.join('')}`;
        expect(ours(target)).toEqual(viaUrl(target));
      }),
      { numRuns: 5000 },
    );
  });
});
