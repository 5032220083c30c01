// Bad input on every operation of every provider, the same fixed list each time (the fuzzer in
// robustness.test.ts draws at random; this names each case): a 10 MiB JSON body, JSON nested
// 100,000 deep, bytes that are not UTF-8, wrong content types, and path parameters holding `..`,
// `/`, NUL and percent-escapes. Every answer must be one the operation's document declares, none
// a 5xx, and nothing may be read or written outside the sandboxes' folders: files planted beside
// them stay as they were and no file appears there.

import fc from 'fast-check';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { Agent } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEmulator, type Emulator } from '../index.ts';
import { REASON_HEADER } from '../kernel/emulator-headers.ts';
import { PROVIDER_NAMES } from '../providers/provider.ts';
import { describeExchange, runBatch } from './http-fuzz.ts';
import { prefixesOf, PROVIDERS, type FixtureClient } from './providers.ts';
import { operationTargets, requestArbitrary, type BodyPlan, type OperationTarget, type RequestPlan, type SegmentEncoding } from './request-arbitraries.ts';

const MiB = 1024 * 1024;

/** The bad variants of one valid request, each with its name. */
function badVariants(valid: RequestPlan, target: OperationTarget): RequestPlan[] {
  const variant = (label: string, change: Partial<RequestPlan>): RequestPlan => ({ ...valid, ...change, valid: false, mutations: [label] });
  const jsonBody = valid.body.kind === 'json';
  const bodies: Array<[string, BodyPlan]> = [
    ['10 MiB JSON body', jsonBody ? { ...(valid.body as Extract<BodyPlan, { kind: 'json' }>), pad: 10 * MiB } : { kind: 'raw', size: 10 * MiB, byte: 0x7b }],
    ['JSON nested 100000 deep', { kind: 'nested', depth: 100_000 }],
    // Latin-1 bytes: 0xff, 0xfe and a lone 0xc3 are no UTF-8.
    ['bytes that are not UTF-8', { kind: 'raw', text: '{"command":"echo \u00ff\u00fe","name":"\u00c3","path":"/\u00ff"}', latin1: true }],
  ];
  const out = bodies.map(([label, body]) => variant(label, { body, headers: { ...valid.headers, 'content-type': valid.headers['content-type'] ?? 'application/json' } }));
  for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/json; charset=latin1']) {
    out.push(variant(`content-type ${type}`, { headers: { ...valid.headers, 'content-type': type } }));
  }
  const names: Array<[string, string, SegmentEncoding]> = [
    ['..', '..', 'component'],
    ['../../..', '../../..', 'raw-slash'],
    ['a/b', 'a/b', 'component'],
    ['NUL', 'a\0b', 'component'],
    ['%00', '%00', 'raw-percent'],
    ['%zz', '%zz', 'raw-percent'],
    ['%2e%2e%2f%2e%2e', '%2e%2e%2f%2e%2e', 'raw-percent'],
  ];
  for (const param of Object.keys(valid.path.values)) {
    for (const [label, value, encoding] of names) {
      out.push(variant(`path ${param} ${label}`, { path: { ...valid.path, values: { ...valid.path.values, [param]: { value, encoding } } } }));
    }
  }
  // A file path in the query (Tensorlake's files API) is a name too.
  for (const param of target.parameters.filter((p) => p.in === 'query' && p.name === 'path')) {
    for (const value of ['../../..', '/../../../x', 'a\0b', '%2e%2e/x']) {
      out.push(variant(`query ${param.name} ${JSON.stringify(value)}`, { query: [...valid.query.filter(([k]) => k !== param.name), [param.name, value]] }));
    }
  }
  return out;
}

/** One valid request for the operation, drawn with a fixed seed. */
function validPlan(target: OperationTarget, hints: (typeof PROVIDERS)[number]['hints']): RequestPlan {
  const arbitrary = requestArbitrary(target, { ...hints, prefixes: prefixesOf(target.mountId) }).filter((plan) => plan.valid);
  return fc.sample(arbitrary, { numRuns: 1, seed: 17 })[0];
}

/** The files directly in the emulator's root and its providers' folders: none but the planted ones. */
function filesBesideSandboxes(root: string): Record<string, string> {
  const out: Record<string, string> = {};
  const look = (dir: string, depth: number) => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      const stat = statSync(path, { throwIfNoEntry: false });
      if (stat?.isFile()) out[path.slice(root.length)] = readFileSync(path, 'utf8');
      else if (stat?.isDirectory() && depth === 0 && (PROVIDER_NAMES as readonly string[]).includes(name)) look(path, 1);
    }
  };
  look(root, 0);
  return out;
}

describe.each(PROVIDERS.map((p) => [p.name, p] as const))('%s, given bad input on every operation', (_name, provider) => {
  let emulator: Emulator;
  let agent: Agent;
  let host: string;
  let port: number;

  beforeAll(async () => {
    emulator = await createEmulator({ port: 0, providers: [provider.name], stopGraceMs: 300 });
    const url = new URL((await emulator.listen()).origin);
    host = url.hostname;
    port = Number(url.port);
    agent = new Agent({ keepAlive: true, maxSockets: 8 });
  });
  afterAll(async () => {
    agent?.destroy();
    await emulator?.close();
  });

  const client: FixtureClient = {
    json: async (method, path, body) => {
      const answer = await fetch(`http://${host}:${port}${path}`, { method, headers: body === undefined ? {} : { 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
      const text = await answer.text();
      let parsed: unknown = text;
      try {
        parsed = JSON.parse(text);
      } catch {
        // Left as text.
      }
      return { status: answer.status, body: parsed };
    },
  };

  it('answers each case as the document declares, never a 5xx, and touches nothing outside the sandboxes', async () => {
    const fixtures = await provider.fixtures(client);
    const root = emulator.app.root;
    const planted = { '/PLANTED': 'outside every sandbox\n', [`/${provider.name}/PLANTED`]: 'beside the sandboxes\n' };
    for (const [path, text] of Object.entries(planted)) writeFileSync(join(root, path), text);

    const targets = provider.mounts.flatMap((id) => operationTargets(emulator.app.mount(id)!));
    const plans = targets.flatMap((target) => badVariants(validPlan(target, provider.hints), target));
    const result = await runBatch(plans, { app: emulator.app, agent, host, port, concurrency: 4, lookup: (key) => fixtures[key] ?? key, answerWithinMs: 15_000 });
    // Checked before the reset, which makes the providers' folders anew.
    expect(filesBesideSandboxes(root)).toEqual(planted);
    await emulator.app.reset();
    await Promise.all(result.openStreams.map((s) => s.ended));

    // The one 5xx a provider gives for bad input is its own for a program that could not start
    // (Tensorlake's `{"error":"Failed to spawn process"}` for a working_dir that is not there):
    // declared, and explained in the emulator's reason header.
    const spawnFailure = (e: (typeof result.exchanges)[number]) =>
      e.answer?.status === 500 && e.answer.headers[REASON_HEADER] !== undefined && e.answer.body.toString() === '{"error":"Failed to spawn process"}';
    // And E2B's proxy answers 502 for a sandbox that does not run, before envd sees the request
    // (a drawn E2b-Sandbox-Id may name none): declared, and E2B's own.
    const noSandbox = (e: (typeof result.exchanges)[number]) => e.answer?.status === 502 && e.plan.mountId === 'e2b-envd' && e.answer.body.toString().startsWith('{"code":502,"message":"The sandbox was not found"');
    const failing = result.exchanges.filter((e) => e.problems.length > 0 || ((e.answer?.status ?? 0) >= 500 && !spawnFailure(e) && !noSandbox(e)));
    expect(failing.slice(0, 8).map(describeExchange), `${failing.length} of ${result.exchanges.length} cases`).toEqual([]);
    expect(emulator.app.violations).toEqual([]);
    // Every case was sent, and each operation got its cases.
    expect(result.exchanges).toHaveLength(plans.length);
    console.log(`[bad input] ${provider.name}: ${plans.length} cases over ${targets.length} operations`);
  }, 240_000);
});

describe.each(PROVIDERS.map((p) => [p.name, p] as const))('%s with a token set, on every operation', (_name, provider) => {
  let emulator: Emulator;
  let agent: Agent;
  let host: string;
  let port: number;
  const TOKEN = 'the-right-token';

  beforeAll(async () => {
    emulator = await createEmulator({ port: 0, providers: [provider.name], tokens: { [provider.name]: TOKEN } });
    const url = new URL((await emulator.listen()).origin);
    host = url.hostname;
    port = Number(url.port);
    agent = new Agent({ keepAlive: true, maxSockets: 4 });
  });
  afterAll(async () => {
    agent?.destroy();
    await emulator?.close();
  });

  it('answers a request without the credential, or with a wrong one, with the provider’s own 401 wherever the document asks for one', async () => {
    const targets = provider.mounts.flatMap((id) => operationTargets(emulator.app.mount(id)!));
    const secured = (t: OperationTarget) => {
      const security = (emulator.app.mount(t.mountId)!.router.spec.document.paths?.[t.pathTemplate] as any)?.[t.method.toLowerCase()]?.security ?? emulator.app.mount(t.mountId)!.router.spec.document.security ?? [];
      return security.length > 0 && !security.some((req: object) => Object.keys(req).length === 0);
    };
    const plans = targets.flatMap((target) => {
      const valid = validPlan(target, provider.hints);
      const bare = Object.fromEntries(Object.entries(valid.headers).filter(([name]) => !/^(authorization|x-api-key|x-blaxel-authorization)$/i.test(name)));
      return [
        { ...valid, valid: false, mutations: ['no credential'], headers: bare },
        { ...valid, valid: false, mutations: ['wrong credential'], headers: { ...bare, authorization: 'Bearer wrong', 'x-api-key': 'wrong', 'x-blaxel-authorization': 'Bearer wrong' } },
      ];
    });
    // No fixtures: nothing can be made without the token, and a 401 comes before any lookup.
    const result = await runBatch(plans, { app: emulator.app, agent, host, port, concurrency: 4, lookup: (key) => key, answerWithinMs: 15_000 });
    // A drawn id may be empty (`/process//logs`), which reaches no operation: the router's 404.
    const reaching = result.exchanges.filter((e) => e.expectation.kind === 'operation');
    expect(reaching.length).toBeGreaterThan(plans.length * 0.8);
    const wrong = reaching.filter((e) => {
      const target = targets.find((t) => t.operationId === e.plan.operationId && t.mountId === e.plan.mountId)!;
      return e.problems.length > 0 || (secured(target) ? e.answer?.status !== 401 : e.answer?.status === 401);
    });
    expect(wrong.slice(0, 8).map(describeExchange), `${wrong.length} of ${result.exchanges.length}`).toEqual([]);
    // Some operations are secured (not E2B's envd, which takes no API key but a secure sandbox's own token, checked by its handlers), and each of their two cases was refused.
    const securedCases = reaching.filter((e) => secured(targets.find((t) => t.operationId === e.plan.operationId && t.mountId === e.plan.mountId)!));
    expect(securedCases.length).toBeGreaterThan(0);
    expect(securedCases.every((e) => e.answer?.status === 401)).toBe(true);
    expect(emulator.app.violations).toEqual([]);
  });
});
