// The generators themselves: they cover every operation, their valid requests pass the
// emulator's own request validation, and no request they make can carry a command outside the
// safe set (the property the whole robustness suite relies on to stay harmless).

import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EmulatorApp } from '../app.ts';
import { expectationFor } from './http-fuzz.ts';
import { prefixesOf, PROVIDERS, SAFE_PROGRAMS, SAFE_SHELL_COMMANDS } from './providers.ts';
import { encodeSegment, Huge, operationTargets, renderRequest, requestArbitrary, resolvePlaceholders } from './request-arbitraries.ts';

const SAFE = new Set<string>([...SAFE_SHELL_COMMANDS, ...SAFE_PROGRAMS]);
const SAMPLES = 100;

let app: EmulatorApp;
beforeAll(async () => {
  app = await EmulatorApp.create({ onViolation: () => undefined });
});
afterAll(() => app?.close());

/** Every `command` anywhere in a parsed body (a deeply nested array holds none, so depth is capped). */
function commandsIn(value: unknown, out: unknown[] = [], depth = 0): unknown[] {
  if (depth > 64) return out;
  if (Array.isArray(value)) for (const v of value) commandsIn(v, out, depth + 1);
  else if (value && typeof value === 'object') {
    for (const [key, v] of Object.entries(value)) {
      if (key === 'command') out.push(v);
      commandsIn(v, out, depth + 1);
    }
  }
  return out;
}

describe.each(PROVIDERS.map((p) => [p.name, p] as const))('%s request generators', (_name, provider) => {
  it('give every operation valid requests that pass request validation, and only safe commands', () => {
    const lookup = (key: string) => `fixture-${key}`;
    for (const mountId of provider.mounts) {
      const mount = app.mount(mountId)!;
      for (const target of operationTargets(mount)) {
        const plans = fc.sample(requestArbitrary(target, { ...provider.hints, prefixes: prefixesOf(mountId) }), { numRuns: SAMPLES, seed: 42 });
        let valid = 0;
        let passing = 0;
        for (const plan of plans) {
          const rendered = renderRequest(plan, lookup);
          for (const command of commandsIn(tryJson(rendered.body))) {
            if (typeof command === 'string') expect(SAFE, `${target.operationId} ${plan.mutations.join(', ')}`).toContain(command);
          }
          if (!plan.valid) continue;
          valid++;
          const expectation = expectationFor(app, rendered.method, rendered.path);
          if (expectation.kind !== 'operation' || expectation.operationId !== target.operationId) continue;
          const query = Object.fromEntries(new URL(rendered.path, 'http://localhost').searchParams);
          const body = target.body?.json ? tryJson(rendered.body) : undefined;
          const issues = mount.router.validate(expectation.match, { method: rendered.method, path: expectation.rest, query, headers: rendered.headers, body });
          if (issues.length === 0) passing++;
        }
        expect(valid, `${target.operationId}: valid requests generated`).toBeGreaterThan(SAMPLES / 5);
        // Most valid requests reach their operation with a request the validator accepts; the
        // rest lose their way on purpose (a path id that is a nasty string, such as '..').
        expect(passing / valid, `${target.operationId}: share of valid requests accepted`).toBeGreaterThan(0.5);
      }
    }
  });
});

function tryJson(body: Buffer): unknown {
  try {
    return JSON.parse(body.toString('utf8'));
  } catch {
    return undefined;
  }
}

describe('encodeSegment', () => {
  it('percent-encodes UTF-8, keeping `/` or `%` only when asked', () => {
    expect(encodeSegment('a b/é%', 'component')).toBe('a%20b%2F%C3%A9%25');
    expect(encodeSegment('../x', 'raw-slash')).toBe('../x');
    expect(encodeSegment('%00', 'raw-percent')).toBe('%00');
    // A lone surrogate cannot be UTF-8: it goes as U+FFFD, as every client's encoder sends it.
    expect(encodeSegment('\uD800', 'component')).toBe('%EF%BF%BD');
  });

  it('keeps huge values as a recipe until they are sent', () => {
    expect(resolvePlaceholders({ a: new Huge('ab', 3) }, () => undefined)).toEqual({ a: 'ababab' });
  });
});
