import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EmulatorApp } from '../app.ts';
import { expectationFor } from '../robustness/http-fuzz.ts';
import { prefixesOf, PROVIDERS } from '../robustness/providers.ts';
import { operationTargets, renderRequest, requestArbitrary } from '../robustness/request-arbitraries.ts';
import type { LoadedSpec } from './load-spec.ts';
import type { OpenAPIDocument } from './openapi-types.ts';
import { SpecRouter, type SpecRequest } from './spec-router.ts';

// A document with every kind of parameter openapi-backend treats specially, including the
// ones our specs do not use yet (arrays, explode: false, JSON-encoded query values, cookies).
const DOCUMENT = {
  openapi: '3.0.3',
  info: { title: 'request validation', version: '1' },
  paths: {
    '/items/{id}': {
      parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'integer', minimum: 1 } }],
      get: {
        operationId: 'getItem',
        parameters: [
          { name: 'lines', in: 'query', schema: { type: 'integer', minimum: 1, maximum: 100 } },
          { name: 'follow', in: 'query', schema: { type: 'boolean' } },
          { name: 'tags', in: 'query', schema: { type: 'array', items: { type: 'integer' } } },
          { name: 'ids', in: 'query', explode: false, style: 'pipeDelimited', schema: { type: 'array', items: { type: 'string', maxLength: 2 } } },
          { name: 'filter', in: 'query', content: { 'application/json': { schema: { type: 'object', required: ['kind'] } } } },
          { name: 'X-Limit', in: 'header', required: true, schema: { type: 'integer' } },
        ],
        responses: { '200': { description: 'ok' } },
      },
      post: {
        operationId: 'postItem',
        requestBody: {
          required: true,
          content: {
            'application/json': {
              schema: { type: 'object', required: ['command'], properties: { command: { type: 'string' }, args: { type: 'array', items: { type: 'string' } } } },
            },
          },
        },
        responses: { '200': { description: 'ok' } },
      },
      put: {
        operationId: 'putItem',
        requestBody: {
          content: {
            'application/json': { schema: { type: 'object', properties: { n: { type: 'number' } } } },
            'text/plain': { schema: { type: 'string' } },
          },
        },
        responses: { '200': { description: 'ok' } },
      },
    },
    '/search': {
      get: {
        operationId: 'search',
        parameters: [{ name: 'q', in: 'query', required: true, schema: { type: 'string' } }],
        responses: { '200': { description: 'ok' } },
      },
    },
    '/session': {
      get: {
        operationId: 'getSession',
        parameters: [{ name: 'sid', in: 'cookie', required: true, schema: { type: 'integer' } }],
        responses: { '200': { description: 'ok' } },
      },
    },
  },
} as unknown as OpenAPIDocument;

const spec: LoadedSpec = { file: 'request-validation.yaml', raw: DOCUMENT, document: DOCUMENT };

let router: SpecRouter;
beforeAll(async () => {
  router = await SpecRouter.create(spec);
});

function check(method: string, path: string, request: Partial<SpecRequest>) {
  const route = router.route(method, path);
  if (route.kind !== 'matched') throw new Error(`${method} ${path} did not route`);
  const full: SpecRequest = { method, path, query: {}, headers: {}, ...request };
  // Each side gets its own copies: validation coerces what it is given in place.
  const issues = router.validate(route.match, structuredClone(full));
  expect(issues, `${method} ${path} ${JSON.stringify(request)}`).toEqual(router.validateByBackend(route.match, structuredClone(full)));
  return issues;
}

describe('SpecRouter.validate', () => {
  it('coerces query, path and header strings to numbers and booleans, as openapi-backend does', () => {
    expect(check('GET', '/items/7', { query: { lines: '5', follow: 'true' }, headers: { 'x-limit': '3' } })).toEqual([]);
    expect(check('GET', '/items/7', { query: { follow: 'false', lines: '100' }, headers: { 'x-limit': '0' } })).toEqual([]);
    expect(check('GET', '/items/7', { query: { lines: 'five', follow: 'yes' }, headers: { 'x-limit': '3' } })).toEqual([
      { location: 'query.lines', message: "'lines' must be integer" },
      { location: 'query.follow', message: "'follow' must be boolean" },
    ]);
    expect(check('GET', '/items/7', { query: { lines: '0' }, headers: { 'x-limit': '3' } })).toEqual([{ location: 'query.lines', message: "'lines' must be >= 1" }]);
    expect(check('GET', '/items/x', { headers: { 'x-limit': '3' } })).toEqual([{ location: 'path.id', message: "'id' must be integer" }]);
    expect(check('GET', '/items/0', { headers: { 'x-limit': 'many' } }).map((i) => i.location)).toEqual(['path.id', 'header.x-limit']);
  });

  it('finds header parameters whatever the case of their name, and says when one is missing', () => {
    expect(check('GET', '/items/7', { headers: { 'X-Limit': '3' } })).toEqual([]);
    expect(check('GET', '/items/7', { headers: { 'X-LIMIT': 'x', 'x-limit': '3' } })).toEqual([]);
    expect(check('GET', '/items/7', {})).toEqual([{ location: 'header', message: "the request is missing required header 'x-limit'" }]);
    expect(check('GET', '/search', {})).toEqual([{ location: 'query', message: "the request is missing required query parameter 'q'" }]);
  });

  it('ignores undeclared query parameters, even one named __proto__', () => {
    expect(check('GET', '/items/7', { query: { verbose: '1', __proto__: 'x', constructor: 'y' } as Record<string, string>, headers: { 'x-limit': '3' } })).toEqual([]);
    const withProto = JSON.parse('{"__proto__": "1", "lines": "x"}') as Record<string, string>;
    expect(check('GET', '/items/7', { query: withProto, headers: { 'x-limit': '3' } }).map((i) => i.location)).toEqual(['query.lines']);
  });

  it('takes array, delimited and JSON query parameters as openapi-backend parses them', () => {
    expect(check('GET', '/items/7', { query: { tags: '4' }, headers: { 'x-limit': '3' } })).toEqual([]);
    expect(check('GET', '/items/7', { query: { tags: ['4', '5'] }, headers: { 'x-limit': '3' } })).toEqual([]);
    expect(check('GET', '/items/7', { query: { tags: ['4', 'x'] }, headers: { 'x-limit': '3' } })).toEqual([{ location: 'query.tags.1', message: "'tags.1' must be integer" }]);
    expect(check('GET', '/items/7', { query: { ids: 'a|bb' }, headers: { 'x-limit': '3' } })).toEqual([]);
    expect(check('GET', '/items/7', { query: { ids: 'a|bbb' }, headers: { 'x-limit': '3' } }).map((i) => i.location)).toEqual(['query.ids.1']);
    expect(check('GET', '/items/7', { query: { ids: '' }, headers: { 'x-limit': '3' } })).toEqual([]);
    expect(check('GET', '/items/7', { query: { filter: '{"kind":"a"}' }, headers: { 'x-limit': '3' } })).toEqual([]);
    expect(check('GET', '/items/7', { query: { filter: '{"other":1}' }, headers: { 'x-limit': '3' } }).map((i) => i.location)).toEqual(['query.filter']);
    const broken = check('GET', '/items/7', { query: { filter: '{nope' }, headers: { 'x-limit': '3' } });
    expect(broken.map((i) => i.location)).toEqual(['query.filter', 'query.filter']);
  });

  it('judges JSON bodies: missing, wrong type, a JSON string, null, numbers', () => {
    const json = { 'content-type': 'application/json' };
    expect(check('POST', '/items/7', { headers: json, body: { command: 'echo' } })).toEqual([]);
    expect(check('POST', '/items/7', { headers: json, body: { command: 42, args: 'x' } }).map((i) => i.location)).toEqual(['body.command', 'body.args']);
    expect(check('POST', '/items/7', { headers: json, body: {} })).toEqual([{ location: 'body', message: "the body is missing required property 'command'" }]);
    // openapi-backend's schema path (#/required) names the place of a missing body.
    expect(check('POST', '/items/7', { headers: json })).toEqual([{ location: 'required', message: 'the request has no body' }]);
    // A JSON string is a body of the wrong type, not broken JSON.
    expect(check('POST', '/items/7', { headers: json, body: 'echo hi' })).toEqual([{ location: 'body', message: 'the body must be object' }]);
    expect(check('POST', '/items/7', { headers: json, body: null })).toEqual([{ location: 'body', message: 'the body must be object' }]);
    expect(check('POST', '/items/7', { headers: json, body: 5 })).toEqual([{ location: 'body', message: 'the body must be object' }]);
    expect(check('POST', '/items/7', { headers: json, body: 0 })).toEqual([{ location: 'body', message: 'the body must be object' }]);
    expect(check('POST', '/items/7', { headers: json, body: false })).toEqual([{ location: 'body', message: 'the body must be object' }]);
    // Without a JSON content type, only an object body is looked at (openapi-backend's rule).
    expect(check('POST', '/items/7', { body: 5 })).toEqual([{ location: 'required', message: 'the request has no body' }]);
    expect(check('POST', '/items/7', { headers: { 'Content-Type': 'Application/JSON; charset=utf-8' }, body: 'x' })).toEqual([
      { location: 'body', message: 'the body must be object' },
    ]);
    expect(check('PUT', '/items/7', { headers: json, body: 'text' })).toEqual([{ location: 'body', message: 'the body must be object' }]);
    expect(check('PUT', '/items/7', { body: { n: 'x' } })).toEqual([{ location: 'body.n', message: "'n' must be number" }]);
  });

  it('leaves the request it is given as it was (validation coerces its own copies)', () => {
    const route = router.route('GET', '/items/7');
    if (route.kind !== 'matched') throw new Error('no route');
    const request: SpecRequest = { method: 'GET', path: '/items/7', query: { lines: '5', tags: ['4'] }, headers: { 'x-limit': '3' } };
    expect(router.validate(route.match, request)).toEqual([]);
    expect(request).toEqual({ method: 'GET', path: '/items/7', query: { lines: '5', tags: ['4'] }, headers: { 'x-limit': '3' } });
    expect(route.match.params).toEqual({ id: '7' });
  });

  it('hands operations with cookie parameters to openapi-backend', () => {
    expect(check('GET', '/session', { headers: { cookie: 'sid=4' } })).toEqual([]);
    expect(check('GET', '/session', { headers: { cookie: 'sid=x' } }).map((i) => i.location)).toEqual(['cookie.sid']);
  });
});

describe('SpecRouter.validate on the providers documents', () => {
  let app: EmulatorApp;
  beforeAll(async () => {
    app = await EmulatorApp.create({ onViolation: () => undefined });
  });
  afterAll(() => app?.close());

  it('agrees with openapi-backend on generated requests, valid and broken, for every operation', () => {
    let compared = 0;
    for (const provider of PROVIDERS) {
      for (const mountId of provider.mounts) {
        const mount = app.mount(mountId)!;
        for (const target of operationTargets(mount)) {
          const plans = fc.sample(requestArbitrary(target, { ...provider.hints, prefixes: prefixesOf(mountId) }), { numRuns: 60, seed: 7 });
          for (const plan of plans) {
            const rendered = renderRequest(plan, (key) => `fixture-${key}`);
            const expectation = expectationFor(app, rendered.method, rendered.path);
            if (expectation.kind !== 'operation' || expectation.mount !== mount) continue;
            // Not comparable with openapi-backend, by design: its parameter parser (bath) cannot
            // capture a catch-all path parameter (slashes included), and it requires a multipart
            // body the router is never handed (it reaches the handler raw). Both are ours.
            if (beyondBackend(expectation.match.operation)) continue;
            const query = Object.fromEntries(new URL(rendered.path, 'http://localhost').searchParams);
            let body: unknown;
            try {
              body = target.body?.json ? JSON.parse(rendered.body.toString('utf8')) : undefined;
            } catch {
              body = undefined;
            }
            const request: SpecRequest = { method: rendered.method, path: expectation.rest, query, headers: rendered.headers, body };
            let reference: unknown;
            try {
              reference = mount.router.validateByBackend(expectation.match, structuredClone(request));
            } catch (error) {
              reference = { threw: (error as Error).message };
            }
            let ours: unknown;
            try {
              ours = mount.router.validate(expectation.match, structuredClone(request));
            } catch (error) {
              ours = { threw: (error as Error).message };
            }
            expect(ours, `${rendered.method} ${rendered.path} ${plan.mutations.join(', ')}`).toEqual(reference);
            compared++;
          }
        }
      }
    }
    expect(compared).toBeGreaterThan(500);
  });
});

function beyondBackend(operation: { parameters?: unknown[]; requestBody?: { content?: Record<string, unknown> } }): boolean {
  const catchAll = (operation.parameters ?? []).some((p) => (p as { 'x-catch-all'?: boolean })['x-catch-all'] === true);
  return catchAll || Object.keys(operation.requestBody?.content ?? {}).includes('multipart/form-data');
}
