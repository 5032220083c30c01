import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify as toYaml } from 'yaml';
import {
  compareDocuments,
  formatDifference,
  formatDriftReport,
  loadUpstream,
  runDrift,
  type DriftDifference,
  type DriftReport,
} from './drift.ts';
import { loadSpec, SpecLoadError } from './load-spec.ts';
import type { JsonSchema, OpenAPIDocument, OperationObject } from './openapi-types.ts';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const specsDir = path.join(repoRoot, 'specs');
const referenceDir = path.resolve(repoRoot, '..', 'shared', 'reference');
const noReferences = !existsSync(referenceDir);
const noReferencesReason = 'the provider references (../shared/reference) are not beside this checkout';
/** it.skipIf takes no reason, so a skipped test carries it in its name, where the reporter shows it. */
const needsReferences = (name: string) => (noReferences ? `${name} [skipped: ${noReferencesReason}]` : name);

// ---------------------------------------------------------------------------------------------
// Synthetic documents: already dereferenced, as compareDocuments receives them.

function doc(paths: OpenAPIDocument['paths'], extra: Record<string, unknown> = {}, openapi = '3.0.0'): OpenAPIDocument {
  return { openapi, info: { title: 't', version: '1' }, paths, ...extra };
}

const processLogs = (): JsonSchema => ({
  type: 'object',
  required: ['logs', 'stdout', 'stderr'],
  properties: {
    logs: { type: 'string', description: 'both streams', example: 'hi' },
    stdout: { type: 'string' },
    stderr: { type: 'string' },
    state: { type: 'string', enum: ['running', 'completed'] },
  },
});

const logsOperation = (schema: JsonSchema = processLogs()): OperationObject => ({
  operationId: 'getProcessLogs',
  parameters: [
    { name: 'identifier', in: 'path', required: true, schema: { type: 'string' } },
    { name: 'lines', in: 'query', required: false, schema: { type: 'integer', format: 'int32' } },
  ],
  responses: {
    '200': { description: 'logs', content: { 'application/json': { schema } } },
    '404': { description: 'no such process', content: { 'application/json': { schema: errorSchema() } } },
  },
});

const errorSchema = (): JsonSchema => ({ type: 'object', required: ['error'], properties: { error: { type: 'string' } } });

function logsDoc(operation: OperationObject = logsOperation()): OpenAPIDocument {
  return doc({ '/process/{identifier}/logs': { get: operation } });
}

/** The differences of one report, without the operation, for compact expectations. */
function diffs(report: DriftReport): Array<Omit<DriftDifference, 'operation'>> {
  return report.differences.map(({ operation: _operation, ...rest }) => rest);
}

describe('compareDocuments on synthetic documents', () => {
  it('finds no drift between identical documents', () => {
    const report = compareDocuments(logsDoc(), logsDoc());
    expect(report.differences).toEqual([]);
    expect(report.sharedOperations).toEqual(['GET /process/{identifier}/logs']);
    expect(formatDriftReport(report, { provider: 'blaxel' })).toContain('No drift on 1 shared operation');
  });

  it('ignores descriptions, examples and x- extensions', () => {
    const upstream = logsDoc();
    const op = upstream.paths['/process/{identifier}/logs'].get!;
    op.summary = 'changed wording';
    op['x-stream'] = true;
    const schema = op.responses!['200'].content!['application/json'].schema!;
    schema.properties.logs = { type: 'string', description: 'another description', example: 'other', 'x-observed': [] };
    expect(compareDocuments(logsDoc(), upstream).differences).toEqual([]);
  });

  it('reports a renamed property as one only ours and one only upstream', () => {
    const renamed = processLogs();
    renamed.properties.output = renamed.properties.stdout;
    delete renamed.properties.stdout;
    renamed.required = ['logs', 'output', 'stderr'];
    const report = compareDocuments(logsDoc(), logsDoc(logsOperation(renamed)));
    expect(diffs(report)).toEqual([
      { where: "response 200 application/json: property 'stdout'", kind: 'only-ours', ours: 'string' },
      { where: "response 200 application/json: property 'output'", kind: 'only-upstream', upstream: 'string' },
    ]);
    expect(report.differences[0].operation).toBe('GET /process/{identifier}/logs');
  });

  it('reports a changed type with both values', () => {
    const changed = processLogs();
    changed.properties.stdout = { type: 'integer' };
    const report = compareDocuments(logsDoc(), logsDoc(logsOperation(changed)));
    expect(diffs(report)).toEqual([
      { where: "response 200 application/json: property 'stdout' type", kind: 'changed', ours: 'string', upstream: 'integer' },
    ]);
    expect(formatDifference(report.differences[0])).toBe("response 200 application/json: property 'stdout' type string -> integer");
  });

  it('reports a new enum value', () => {
    const changed = processLogs();
    changed.properties.state = { type: 'string', enum: ['completed', 'running', 'killed'] };
    expect(diffs(compareDocuments(logsDoc(), logsDoc(logsOperation(changed))))).toEqual([
      {
        where: "response 200 application/json: property 'state' enum",
        kind: 'changed',
        ours: ['completed', 'running'],
        upstream: ['completed', 'killed', 'running'],
      },
    ]);
  });

  it('treats enum order as meaningless', () => {
    const reordered = processLogs();
    reordered.properties.state = { type: 'string', enum: ['completed', 'running'] };
    expect(compareDocuments(logsDoc(), logsDoc(logsOperation(reordered))).differences).toEqual([]);
  });

  it('reports required flips on properties and on parameters', () => {
    const schema = processLogs();
    schema.required = ['logs', 'stdout'];
    const operation = logsOperation(schema);
    operation.parameters![1].required = true;
    const report = compareDocuments(logsDoc(), logsDoc(operation));
    expect(diffs(report)).toEqual([
      { where: "parameter query 'lines': required", kind: 'changed', ours: false, upstream: true },
      { where: "response 200 application/json: property 'stderr' required", kind: 'changed', ours: true, upstream: false },
    ]);
    expect(formatDriftReport(report, { provider: 'blaxel' })).toContain("  parameter query 'lines': required false -> true");
  });

  it('reports a parameter the upstream removed, and one it added', () => {
    const operation = logsOperation();
    operation.parameters = [operation.parameters![0], { name: 'follow', in: 'query', schema: { type: 'boolean' } }];
    expect(diffs(compareDocuments(logsDoc(), logsDoc(operation)))).toEqual([
      { where: "parameter query 'lines'", kind: 'only-ours', ours: 'integer' },
      { where: "parameter query 'follow'", kind: 'only-upstream', upstream: 'boolean' },
    ]);
  });

  it('reports a parameter whose type or format changed', () => {
    const operation = logsOperation();
    operation.parameters![1].schema = { type: 'integer', format: 'int64' };
    expect(diffs(compareDocuments(logsDoc(), logsDoc(operation)))).toEqual([
      { where: "parameter query 'lines': format", kind: 'changed', ours: 'int32', upstream: 'int64' },
    ]);
  });

  it('pairs header parameters case-insensitively, as HTTP does', () => {
    const ours = logsOperation();
    ours.parameters!.push({ name: 'X-Request-Id', in: 'header', schema: { type: 'string' } });
    const upstream = logsOperation();
    upstream.parameters!.push({ name: 'x-request-id', in: 'header', schema: { type: 'string' } });
    expect(compareDocuments(logsDoc(ours), logsDoc(upstream)).differences).toEqual([]);
  });

  it('reports an extra status on either side', () => {
    const upstream = logsOperation();
    upstream.responses!['422'] = { description: 'bad', content: { 'application/json': { schema: errorSchema() } } };
    const ours = logsOperation();
    ours.responses!['500'] = { description: 'broken', content: { 'application/json': { schema: errorSchema() } } };
    expect(diffs(compareDocuments(logsDoc(ours), logsDoc(upstream)))).toEqual([
      { where: 'response 500', kind: 'only-ours', ours: ['application/json'] },
      { where: 'response 422', kind: 'only-upstream', upstream: ['application/json'] },
    ]);
  });

  it('compares media types only where the upstream names a set', () => {
    const ours = logsOperation();
    ours.responses!['200'].content!['text/plain'] = { schema: { type: 'string' } };
    const upstream = logsOperation();
    upstream.responses!['404'] = { description: 'no such process' };
    expect(diffs(compareDocuments(logsDoc(ours), logsDoc(upstream)))).toEqual([
      {
        where: 'response 200: media types',
        kind: 'changed',
        ours: ['application/json', 'text/plain'],
        upstream: ['application/json'],
      },
    ]);
  });

  it('compares request bodies recursively', () => {
    const body = (command: JsonSchema): OperationObject => ({
      requestBody: {
        required: true,
        content: {
          'application/json': {
            schema: { type: 'object', required: ['command'], properties: { command, env: { type: 'object', additionalProperties: { type: 'string' } } } },
          },
        },
      },
      responses: { '200': { description: 'ok' } },
    });
    const ours = doc({ '/process': { post: body({ type: 'string' }) } });
    const upstream = doc({ '/process': { post: body({ type: 'array', items: { type: 'string' } }) } });
    upstream.paths['/process'].post!.requestBody!.content!['application/json'].schema!.properties.env.additionalProperties = { type: 'integer' };
    expect(diffs(compareDocuments(ours, upstream))).toEqual([
      { where: "request body application/json: property 'command' type", kind: 'changed', ours: 'string', upstream: 'array' },
      { where: "request body application/json: schema 'command[]'", kind: 'only-upstream', upstream: 'string' },
      { where: "request body application/json: schema 'env{*}' type", kind: 'changed', ours: 'string', upstream: 'integer' },
    ]);
  });

  it('walks into array items and composition members', () => {
    const entries = (stream: JsonSchema): JsonSchema => ({
      type: 'object',
      properties: {
        entries: { type: 'array', items: { type: 'object', required: ['line'], properties: { line: { type: 'string' }, stream } } },
        event: { oneOf: [{ type: 'object', properties: { exit: { type: 'integer' } } }, { type: 'object', properties: { out: { type: 'string' } } }] },
      },
    });
    const ours = logsDoc(logsOperation(entries({ type: 'string', enum: ['stdout', 'stderr'] })));
    const upstreamSchema = entries({ type: 'string', enum: ['stdout', 'stderr', 'system'] });
    // Members reordered (order carries no meaning in a choice) and one member changed.
    upstreamSchema.properties.event.oneOf = [{ type: 'object', properties: { out: { type: 'string' } } }, { type: 'object', properties: { exit: { type: 'string' } } }];
    expect(diffs(compareDocuments(ours, logsDoc(logsOperation(upstreamSchema))))).toEqual([
      {
        where: "response 200 application/json: property 'entries[].stream' enum",
        kind: 'changed',
        ours: ['stderr', 'stdout'],
        upstream: ['stderr', 'stdout', 'system'],
      },
      { where: "response 200 application/json: property 'event.oneOf[0].exit' type", kind: 'changed', ours: 'integer', upstream: 'string' },
    ]);
  });

  it('treats 3.0 nullable and 3.1 null types as the same thing', () => {
    const v30: JsonSchema = {
      type: 'object',
      properties: {
        exitCode: { type: 'integer', nullable: true },
        state: { type: 'string', nullable: true, enum: ['running', 'exited'] },
        owner: { nullable: true, allOf: [{ type: 'object', properties: { id: { type: 'string' } } }] },
      },
    };
    const v31: JsonSchema = {
      type: 'object',
      properties: {
        exitCode: { type: ['integer', 'null'] },
        state: { type: ['string', 'null'], enum: ['running', 'exited', null] },
        owner: { oneOf: [{ type: 'null' }, { type: 'object', properties: { id: { type: 'string' } } }] },
      },
    };
    const ours = logsDoc(logsOperation(v30));
    const upstream = { ...logsDoc(logsOperation(v31)), openapi: '3.1.0' };
    expect(compareDocuments(ours, upstream).differences).toEqual([]);

    // And nullability that really differs is still reported.
    v31.properties.exitCode = { type: 'integer' };
    expect(diffs(compareDocuments(ours, upstream))).toEqual([
      { where: "response 200 application/json: property 'exitCode' nullable", kind: 'changed', ours: true, upstream: false },
    ]);
  });

  it('treats an inlined object and the same object composed with allOf as equal', () => {
    const composed: JsonSchema = {
      allOf: [
        { type: 'object', required: ['logs'], properties: { logs: { type: 'string' } } },
        { type: 'object', required: ['stdout', 'stderr'], properties: { stdout: { type: 'string' }, stderr: { type: 'string' }, state: { type: 'string', enum: ['running', 'completed'] } } },
      ],
    };
    expect(compareDocuments(logsDoc(), logsDoc(logsOperation(composed))).differences).toEqual([]);
  });

  it('pairs path parameters by position, whatever their names', () => {
    const upstream = logsOperation();
    upstream.parameters![0] = { name: 'pid', in: 'path', required: true, schema: { type: 'string' } };
    const report = compareDocuments(logsDoc(), doc({ '/process/{pid}/logs': { get: upstream } }));
    expect(report.sharedOperations).toEqual(['GET /process/{identifier}/logs']);
    expect(report.differences).toEqual([]);
  });

  it('strips our x-upstream-path-prefix before pairing, on segment boundaries only', () => {
    const get = (): OperationObject => ({ responses: { '200': { description: 'ok' } } });
    const ours = doc(
      { '/v1/sandboxes/{sandboxId}': { get: get() }, '/ping': { get: get() }, '/v10/other': { get: get() } },
      { 'x-upstream-path-prefix': '/v1' },
    );
    const upstream = doc({ '/sandboxes/{id}': { get: get() }, '/other': { get: get() }, '/auth/whoami': { get: get() } });
    const report = compareDocuments(ours, upstream);
    expect(report.sharedOperations).toEqual(['GET /sandboxes/{sandboxId}']);
    expect(report.differences).toEqual([
      { operation: 'GET /ping', where: 'operation', kind: 'missing-upstream', ours: '/ping' },
      { operation: 'GET /v10/other', where: 'operation', kind: 'missing-upstream', ours: '/v10/other' },
    ]);
    // Upstream operations we do not cover are counted, never reported as differences.
    expect(report.upstreamOnlyOperations).toEqual(['GET /other', 'GET /auth/whoami']);
    const text = formatDriftReport(report, { provider: 'agentbox' });
    expect(text).toContain('Operations of ours missing upstream (2):\n  GET /ping\n  GET /v10/other');
    expect(text).toContain('No drift on 1 shared operation; 2 operations of ours missing upstream; 2 upstream operations we do not cover.');
  });

  it('terminates on circular schemas and still finds differences inside them', () => {
    const cyclic = (leaf: string): JsonSchema => {
      const node: JsonSchema = { type: 'object', properties: { name: { type: leaf } } };
      node.properties.children = { type: 'array', items: node };
      node.properties.parent = node;
      return node;
    };
    const report = compareDocuments(logsDoc(logsOperation(cyclic('string'))), logsDoc(logsOperation(cyclic('integer'))));
    expect(diffs(report)).toContainEqual({
      where: "response 200 application/json: property 'name' type",
      kind: 'changed',
      ours: 'string',
      upstream: 'integer',
    });
    expect(compareDocuments(logsDoc(logsOperation(cyclic('string'))), logsDoc(logsOperation(cyclic('string')))).differences).toEqual([]);
  });

  it('formats a report grouped by operation, with a summary line', () => {
    const changed = processLogs();
    changed.properties.stdout = { type: 'integer' };
    changed.properties.containers = { type: 'array', items: { type: 'string' } };
    const text = formatDriftReport(compareDocuments(logsDoc(), logsDoc(logsOperation(changed))), { provider: 'blaxel', upstream: 'openapi.yml' });
    expect(text).toBe(
      [
        'Drift of our blaxel document against openapi.yml:',
        'GET /process/{identifier}/logs',
        "  response 200 application/json: property 'stdout' type string -> integer",
        "  response 200 application/json: property 'containers' only upstream (array)",
        '2 differences on 1 of 1 shared operation; 0 upstream operations we do not cover.',
      ].join('\n'),
    );
  });
});

// ---------------------------------------------------------------------------------------------
// Loading

describe('loadUpstream and runDrift', () => {
  let dir: string;
  let server: Server;
  let base: string;
  const upstreamYaml = toYaml(logsDoc());

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'drift-test-'));
    server = createServer((req, res) => {
      if (req.url === '/openapi.yml') res.writeHead(200, { 'content-type': 'application/yaml' }).end(upstreamYaml);
      else if (req.url === '/broken.yml') res.writeHead(200).end('openapi: 3.0.0\npaths: 12\n');
      else res.writeHead(404).end('not found');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await rm(dir, { recursive: true, force: true });
  });

  it('loads an upstream document from a URL, naming the URL', async () => {
    const loaded = await loadUpstream(`${base}/openapi.yml`);
    expect(loaded.file).toBe(`${base}/openapi.yml`);
    expect(Object.keys(loaded.document.paths)).toEqual(['/process/{identifier}/logs']);
  });

  it('refuses a URL that does not answer 200, saying what to do', async () => {
    await expect(loadUpstream(`${base}/missing.yml`)).rejects.toThrow(
      `Failed to fetch the upstream document ${base}/missing.yml: the server answered 404 Not Found. Check the URL, or download the document and pass its path.`,
    );
  });

  it('refuses an invalid document from a URL with the loader error naming the URL', async () => {
    const error = await loadUpstream(`${base}/broken.yml`).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SpecLoadError);
    expect((error as SpecLoadError).file).toBe(`${base}/broken.yml`);
  });

  it('dereferences circular $refs from a file and compares them', async () => {
    const recursive = (leaf: string) =>
      toYaml({
        openapi: '3.0.0',
        info: { title: 't', version: '1' },
        paths: {
          '/tree': {
            get: { responses: { '200': { description: 'ok', content: { 'application/json': { schema: { $ref: '#/components/schemas/Node' } } } } } },
          },
        },
        components: {
          schemas: {
            Node: {
              type: 'object',
              properties: { name: { type: leaf }, children: { type: 'array', items: { $ref: '#/components/schemas/Node' } } },
            },
          },
        },
      });
    await writeFile(path.join(dir, 'ours.yaml'), recursive('string'));
    await writeFile(path.join(dir, 'theirs.yaml'), recursive('integer'));
    const [ours, theirs] = await Promise.all([loadSpec(path.join(dir, 'ours.yaml')), loadUpstream(path.join(dir, 'theirs.yaml'))]);
    expect(diffs(compareDocuments(ours.document, theirs.document))).toEqual([
      { where: "response 200 application/json: property 'name' type", kind: 'changed', ours: 'string', upstream: 'integer' },
    ]);
  });

  it('runs the whole check from a specs folder and an upstream URL', async () => {
    const specs = await mkdtemp(path.join(dir, 'specs-'));
    await writeFile(path.join(specs, 'blaxel.yaml'), toYaml(logsDoc()));
    const { report, text } = await runDrift({ provider: 'blaxel', upstream: `${base}/openapi.yml`, specsDir: specs });
    expect(report.differences).toEqual([]);
    expect(text).toContain('No drift on 1 shared operation');
  });

  it('compares our E2B document with one of E2B’s form, pairing the operations and naming a drift', async () => {
    // E2B's published document (spec/openapi.yml of e2b-dev/E2B) is not among the references; a
    // small one in its form stands in: the kill as we serve it, and a list whose `state` is an array.
    const upstream = path.join(dir, 'e2b-upstream.yaml');
    await writeFile(
      upstream,
      toYaml({
        openapi: '3.0.0',
        info: { title: 'E2B', version: '1' },
        paths: {
          '/sandboxes/{sandboxID}': {
            delete: { parameters: [{ name: 'sandboxID', in: 'path', required: true, schema: { type: 'string' } }], responses: { '204': { description: 'killed' } } },
          },
          '/v2/sandboxes': {
            get: { parameters: [{ name: 'state', in: 'query', schema: { type: 'array', items: { type: 'string' } } }], responses: { '200': { description: 'listed' } } },
          },
        },
      }),
    );
    const { report, text } = await runDrift({ provider: 'e2b', upstream, specsDir: fileURLToPath(new URL('../../specs/', import.meta.url)) });
    expect(report.sharedOperations).toEqual(expect.arrayContaining(['DELETE /sandboxes/{sandboxID}', 'GET /v2/sandboxes']));
    expect(text).toMatch(/GET \/v2\/sandboxes\n(\s+.*\n)*?\s+parameter query 'state': type string -> array/);
  });

  it('compares our envd document with one of envd.yaml’s form on /health and /files, and names the protobuf procedures instead of calling them missing', async () => {
    // envd.yaml (spec/envd/envd.yaml of e2b-dev/E2B) holds only envd's REST paths; a small one
    // in its form stands in, with a `path` query parameter that is not required, and its security
    // scheme as published: `scheme: header` where OpenAPI wants `in: header`, so it does not validate.
    const upstream = path.join(dir, 'envd-upstream.yaml');
    const sandboxHeader = { name: 'E2b-Sandbox-Id', in: 'header', schema: { type: 'string' } };
    await writeFile(
      upstream,
      toYaml({
        openapi: '3.0.0',
        info: { title: 'envd', version: '1' },
        components: { securitySchemes: { AccessTokenAuth: { type: 'apiKey', scheme: 'header', name: 'X-Access-Token' } } },
        paths: {
          '/health': { get: { responses: { '204': { description: 'ok' } } } },
          '/files': { get: { parameters: [{ name: 'path', in: 'query', schema: { type: 'string' } }, sandboxHeader], responses: { '200': { description: 'the file' } } } },
        },
      }),
    );
    const { report, text } = await runDrift({ provider: 'e2b-envd', upstream, specsDir: fileURLToPath(new URL('../../specs/', import.meta.url)) });
    expect(report.sharedOperations).toEqual(expect.arrayContaining(['GET /health', 'GET /files']));
    expect(report.describedElsewhere).toContainEqual({ operation: 'POST /process.Process/Start', document: 'spec/envd/process/process.proto' });
    expect(report.describedElsewhere).toContainEqual({ operation: 'POST /filesystem.Filesystem/WatchDir', document: 'spec/envd/filesystem/filesystem.proto' });
    expect(report.differences.filter((d) => d.kind === 'missing-upstream').map((d) => d.operation)).toEqual(['POST /files']);
    expect(text).toContain('Operations of ours another document describes, not compared (16):');
    expect(text).toMatch(/^Note: the upstream document does not validate, and is compared as it is: .*AccessTokenAuth/);
  });

  it('refuses an unknown provider and an unknown operation, saying what to do', async () => {
    await expect(runDrift({ provider: 'modal', upstream: `${base}/openapi.yml`, specsDir: dir })).rejects.toThrow(
      "Failed to run the drift check: unknown provider 'modal'. Use one of blaxel, blaxel-control, tensorlake, agentbox, e2b, e2b-envd.",
    );
    const specs = await mkdtemp(path.join(dir, 'specs-'));
    await writeFile(path.join(specs, 'blaxel.yaml'), toYaml(logsDoc()));
    await expect(
      runDrift({ provider: 'blaxel', upstream: `${base}/openapi.yml`, specsDir: specs, operations: ['GET /nope'] }),
    ).rejects.toThrow("Failed to run the drift check: 'GET /nope' is not an operation of blaxel.yaml.");
  });
});

// ---------------------------------------------------------------------------------------------
// Against the providers' published documents

/** Follows local `$ref`s in a document as written, so a test can edit the schema itself. */
function resolveRaw(raw: OpenAPIDocument, schema: JsonSchema): JsonSchema {
  let current = schema;
  for (let hops = 0; typeof current.$ref === 'string' && hops < 16; hops++) {
    const pointer = (current.$ref as string).replace(/^#\//, '').split('/').map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
    current = pointer.reduce<any>((node, key) => node?.[key], raw);
    if (!current) throw new Error(`Failed to resolve ${schema.$ref} in the test's copy of the document.`);
  }
  return current;
}

/**
 * Copies our document as written, lets `edit` change the 200 JSON schema of one operation, writes
 * the copy as `<provider>.yaml` in a fresh folder and returns that folder, for runDrift.
 */
async function editedSpecs(provider: string, specPath: string, method: 'get', edit: (schema: JsonSchema) => void): Promise<string> {
  const { raw } = await loadSpec(path.join(specsDir, `${provider}.yaml`));
  const copy = structuredClone(raw);
  const schema = copy.paths[specPath]?.[method]?.responses?.['200']?.content?.['application/json']?.schema;
  if (!schema) throw new Error(`Failed to find the 200 application/json schema of ${method.toUpperCase()} ${specPath} in ${provider}.yaml.`);
  edit(resolveRaw(copy, schema));
  const dir = await mkdtemp(path.join(tmpdir(), 'drift-specs-'));
  await writeFile(path.join(dir, `${provider}.yaml`), toYaml(copy));
  return dir;
}

describe('drift against the published provider documents', () => {
  const blaxelUpstream = path.join(referenceDir, 'blaxel', 'openapi.yml');
  const agentboxUpstream = path.join(referenceDir, 'agentbox', 'openapi.yaml');
  const blaxelLogs = 'GET /process/{identifier}/logs';
  const agentboxLogs = 'GET /sandboxes/{sandboxId}/logs';

  it.skipIf(noReferences)(needsReferences(`finds no drift on Blaxel ${blaxelLogs}`), async () => {
    const { report } = await runDrift({ provider: 'blaxel', upstream: blaxelUpstream, specsDir, operations: [blaxelLogs] });
    expect(report.sharedOperations).toEqual([blaxelLogs]);
    expect(report.differences).toEqual([]);
  });

  it.skipIf(noReferences)(needsReferences('pairs every Blaxel filesystem operation with the published one, schemas unchanged'), async () => {
    const { report } = await runDrift({ provider: 'blaxel', upstream: blaxelUpstream, specsDir });
    const files = report.sharedOperations.filter((op) => / \/(filesystem|watch)/.test(op));
    expect(files).toHaveLength(14);
    expect(report.differences.filter((d) => d.kind === 'missing-upstream').map((d) => d.operation)).not.toContainEqual(expect.stringMatching(/filesystem/));
    // What differs is declared on purpose (see the document): media types the server really
    // sends, and statuses only we answer (the 401 of a configured token, our own refusals).
    const other = report.differences.filter((d) => files.includes(d.operation) && !/media types$/.test(d.where) && d.kind !== 'only-ours');
    expect(other).toEqual([]);
  });

  it.skipIf(noReferences)(needsReferences(`reports a difference introduced on purpose in Blaxel ${blaxelLogs}`), async () => {
    const dir = await editedSpecs('blaxel', '/process/{identifier}/logs', 'get', (schema) => {
      schema.properties.output = schema.properties.stdout;
      delete schema.properties.stdout;
      schema.required = (schema.required as string[]).map((name) => (name === 'stdout' ? 'output' : name));
      schema.properties.stderr = { type: 'integer' };
    });
    try {
      const { report, text } = await runDrift({ provider: 'blaxel', upstream: blaxelUpstream, specsDir: dir, operations: [blaxelLogs] });
      expect(diffs(report)).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ where: "response 200 application/json: property 'output'", kind: 'only-ours' }),
          expect.objectContaining({ where: "response 200 application/json: property 'stdout'", kind: 'only-upstream' }),
          { where: "response 200 application/json: property 'stderr' type", kind: 'changed', ours: 'integer', upstream: 'string' },
        ]),
      );
      expect(report.differences).toHaveLength(3);
      expect(text).toContain("  response 200 application/json: property 'stderr' type integer -> string");
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it.skipIf(noReferences)(needsReferences(`finds no drift on AgentBox ${agentboxLogs}`), async () => {
    const { report } = await runDrift({ provider: 'agentbox', upstream: agentboxUpstream, specsDir, operations: [agentboxLogs] });
    expect(report.sharedOperations).toEqual([agentboxLogs]);
    expect(report.differences).toEqual([]);
  });

  it.skipIf(noReferences)(needsReferences(`reports a difference introduced on purpose in AgentBox ${agentboxLogs}`), async () => {
    // Our AgentBox paths carry the /v1 prefix the published document leaves to its servers entry.
    const dir = await editedSpecs('agentbox', '/v1/sandboxes/{sandboxId}/logs', 'get', (schema) => {
      schema.properties.truncated = { type: 'string' };
    });
    try {
      const { report, text } = await runDrift({ provider: 'agentbox', upstream: agentboxUpstream, specsDir: dir, operations: [agentboxLogs] });
      expect(diffs(report)).toEqual([
        { where: "response 200 application/json: property 'truncated' type", kind: 'changed', ours: 'string', upstream: 'boolean' },
      ]);
      expect(text).toContain(`${agentboxLogs}\n  response 200 application/json: property 'truncated' type string -> boolean`);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
