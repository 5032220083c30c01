import { describe, expect, it, vi } from 'vitest';
import { join } from 'node:path';
import { OpenAPIBackend, type Document } from 'openapi-backend';
import { loadSpec } from './load-spec.ts';
import { ResponseValidator } from './response-validator.ts';
import { SpecRouter } from './spec-router.ts';
import { DEFAULT_SPECS_DIR } from './specs-dir.ts';

const tensorlake = () => loadSpec(join(DEFAULT_SPECS_DIR, 'tensorlake.yaml'));

describe('SpecRouter on an OpenAPI 3.1 document', () => {
  it('is needed: openapi-backend alone, given the 3.1 document, routes nothing', async () => {
    const spec = await tensorlake();
    const api = new OpenAPIBackend({ definition: structuredClone(spec.document) as unknown as Document, quick: false });
    // openapi-backend checks against the 3.0 rules; `type: [integer, 'null']` makes the
    // document invalid, and in non-strict mode it keeps no operations at all.
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    await api.init().catch(() => undefined);
    warn.mockRestore();
    expect(api.matchOperation({ method: 'get', path: '/api/v1/processes/42', headers: {} })).toBeUndefined();
  });

  it('routes every operation of the 3.1 document after the downgrade', async () => {
    const spec = await tensorlake();
    const router = await SpecRouter.create(spec);
    const cases: Array<[string, string, string]> = [
      ['POST', '/api/v1/processes', 'sandbox_process_start'],
      ['GET', '/api/v1/processes/42', 'sandbox_process_get'],
      ['GET', '/api/v1/processes/web%201/stdout', 'sandbox_process_stdout'],
      ['POST', '/api/v1/processes/run', 'sandbox_process_run'],
      ['GET', '/api/v1/processes/42/output/follow', 'sandbox_process_output_follow'],
      ['DELETE', '/v1/namespaces/default/sandboxes/sbx-1', 'sandbox_delete'],
    ];
    for (const [method, path, operationId] of cases) {
      const route = router.route(method, path);
      expect(route.kind === 'matched' && route.match.operationId, `${method} ${path}`).toBe(operationId);
    }
    const named = router.route('GET', '/api/v1/processes/web%201/stdout');
    expect(named.kind === 'matched' && named.match.params.pid).toBe('web 1');
  });

  it('tells an unknown path from a known path with the wrong method', async () => {
    const router = await SpecRouter.create(await tensorlake());
    expect(router.route('GET', '/api/v1/nothing').kind).toBe('not-found');
    const wrong = router.route('PUT', '/api/v1/processes/42');
    expect(wrong.kind).toBe('method-not-allowed');
    expect(wrong.kind === 'method-not-allowed' && wrong.allowed.sort()).toEqual(['DELETE', 'GET']);
  });

  it('keeps only the paths a mount serves when given a filter', async () => {
    const router = await SpecRouter.create(await tensorlake(), { pathFilter: (p) => p.startsWith('/v1/') });
    expect(router.route('GET', '/api/v1/processes').kind).toBe('not-found');
    expect(router.route('GET', '/v1/namespaces/default/sandboxes').kind).toBe('matched');
  });

  it('reports request faults with where they are', async () => {
    const router = await SpecRouter.create(await tensorlake());
    const route = router.route('POST', '/api/v1/processes');
    if (route.kind !== 'matched') throw new Error('no route');
    const request = { method: 'POST', path: '/api/v1/processes', query: {}, headers: { 'content-type': 'application/json' } };
    expect(router.validate(route.match, { ...request, body: { command: 'echo' } })).toEqual([]);
    const issues = router.validate(route.match, { ...request, body: { command: 42, args: 'x' } });
    expect(issues.map((i) => i.location)).toEqual(expect.arrayContaining(['body.command', 'body.args']));
    expect(router.validate(route.match, { ...request, body: {} })[0].message).toMatch(/command/);
  });
});

describe('ResponseValidator', () => {
  it('judges 3.1 nullable fields by the 3.1 rules', async () => {
    const validator = new ResponseValidator(await tensorlake());
    const info = { handle: 1, pid: 7, status: 'running', exit_code: null, signal: null, stdin_writable: false, command: 'sleep', args: ['1'], started_at: 1, ended_at: null };
    expect(validator.validate('sandbox_process_get', 200, 'application/json', info, true)).toEqual([]);
    expect(validator.validate('sandbox_process_get', 200, 'application/json', { ...info, exit_code: 'x' }, true)).not.toEqual([]);
  });

  it('names the operation, the status and the fault of a non-conforming answer', async () => {
    const validator = new ResponseValidator(await tensorlake());
    const [undeclared] = validator.validate('sandbox_process_get', 418, 'application/json', {}, true);
    expect(undeclared.message).toMatch(/status 418 is not declared for sandbox_process_get/);
    const [wrongType] = validator.validate('sandbox_process_get', 200, 'text/html', '<p>', true);
    expect(wrongType.message).toMatch(/media type 'text\/html' is not declared/);
    const [missing] = validator.validate('sandbox_process_get', 404, 'application/json', { code: 'NOT_FOUND' }, true);
    expect(missing).toMatchObject({ operationId: 'sandbox_process_get', status: 404 });
    expect(missing.message).toMatch(/error/);
  });
});

describe('SpecRouter catch-all path parameters (x-catch-all)', () => {
  it('takes the rest of the path, slashes included, encoded or not', async () => {
    const router = await SpecRouter.create(await loadSpec(join(DEFAULT_SPECS_DIR, 'blaxel.yaml')));
    const cases: Array<[string, string, string, string]> = [
      ['GET', '/filesystem/%2Fapp%2Frun.sh', 'getFilesystem', '/app/run.sh'],
      ['PUT', '/filesystem//app/run.sh', 'putFilesystem', '/app/run.sh'],
      ['GET', '/filesystem/app/sub/x.txt', 'getFilesystem', 'app/sub/x.txt'],
      ['GET', '/filesystem/', 'getFilesystem', ''],
      // The longer literal wins: /filesystem/tree/... is the tree route.
      ['GET', '/filesystem/tree/a/b', 'getFilesystemTree', 'a/b'],
      ['GET', '/watch/filesystem/%2Fapp%2F**', 'watchFilesystem', '/app/**'],
    ];
    for (const [method, path, operationId, value] of cases) {
      const route = router.route(method, path);
      expect(route.kind === 'matched' && [route.match.operationId, route.match.params.path], `${method} ${path}`).toEqual([operationId, value]);
    }
    // A plain parameter still takes one segment only.
    expect(router.route('GET', '/process/a/b').kind).toBe('not-found');
    const validated = router.route('GET', '/filesystem//app/x');
    expect(validated.kind === 'matched' && router.validate(validated.match, { method: 'GET', path: '/filesystem//app/x', query: {}, headers: {} })).toEqual([]);
  });
});
