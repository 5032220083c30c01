// envd's secure access over HTTP: a sandbox made secure wants its token on every request but
// /health, and /files takes a signed URL instead. The refusals' words are envd's
// (e2b-dev/infra, packages/envd/internal/api/auth.go); the signature is checked against one
// computed here from the rule the spec states, so a change to either side shows.
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEmulator, type Emulator } from '../../index.ts';

let emulator: Emulator;
let origin: string;
beforeAll(async () => {
  emulator = await createEmulator({ port: 0, providers: ['e2b'] });
  origin = (await emulator.listen()).origin;
});
afterAll(() => emulator?.close());

interface Created { sandboxID: string; envdAccessToken?: string }
async function create(path: string, body: Record<string, unknown> = {}): Promise<Created> {
  const answer = await fetch(`${origin}/e2b${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ templateID: 'base', timeout: 120, ...body }) });
  expect(answer.status).toBe(201);
  return (await answer.json()) as Created;
}

/** Lists processes: the cheapest procedure that goes through envd's middleware. */
const list = (sandbox: string, headers: Record<string, string> = {}) =>
  fetch(`${origin}/e2b/envd/process.Process/List`, { method: 'POST', headers: { 'content-type': 'application/json', 'e2b-sandbox-id': sandbox, ...headers }, body: '{}' });

const sign = (path: string, operation: 'read' | 'write', username: string, token: string, expiration?: number) =>
  `v1_${createHash('sha256').update([path, operation, username, token, ...(expiration === undefined ? [] : [expiration])].join(':')).digest('base64').replace(/=+$/, '')}`;

const files = (sandbox: string, query: Record<string, string>, init: RequestInit = {}) =>
  fetch(`${origin}/e2b/envd/files?${new URLSearchParams(query)}`, { ...init, headers: { 'e2b-sandbox-id': sandbox, ...(init.headers as Record<string, string>) } });

describe('a secure sandbox', () => {
  let sandbox: Created;
  beforeAll(async () => {
    sandbox = await create('/v2/sandboxes');
  });

  it('is what POST /v2/sandboxes makes when the request does not say, and its token comes back from GET /sandboxes/{id}', async () => {
    expect(sandbox.envdAccessToken).toMatch(/^[0-9a-f]{64}$/);
    const detail = (await (await fetch(`${origin}/e2b/sandboxes/${sandbox.sandboxID}`)).json()) as Created;
    expect(detail.envdAccessToken).toBe(sandbox.envdAccessToken);
    const other = await create('/v2/sandboxes');
    expect(other.envdAccessToken).not.toBe(sandbox.envdAccessToken);
  });

  it('refuses a procedure without its token or with another, in envd\'s REST shape, and runs it with the token', async () => {
    for (const headers of [{}, { 'x-access-token': 'not-the-token' }, { 'x-access-token': '' }] as Array<Record<string, string>>) {
      const refused = await list(sandbox.sandboxID, headers);
      expect(refused.status).toBe(401);
      expect(await refused.json()).toEqual({ code: 401, message: 'unauthorized access, please provide a valid access token or method signing if supported' });
    }
    const allowed = await list(sandbox.sandboxID, { 'x-access-token': sandbox.envdAccessToken! });
    expect(allowed.status).toBe(200);
    expect(await allowed.json()).toEqual({ processes: [] });
  });

  it('lets /health through without a token, while a sandbox that does not run is still the proxy\'s 502', async () => {
    const health = await fetch(`${origin}/e2b/envd/health`, { headers: { 'e2b-sandbox-id': sandbox.sandboxID } });
    expect(health.status).toBe(204);
    const gone = await list('nosuchsandbox');
    expect(gone.status).toBe(502);
  });

  it('reads and writes /files by a signed URL, with or without an expiry, and by the token', async () => {
    const token = sandbox.envdAccessToken!;
    const path = '/home/user/signed.txt';
    const expiration = Math.floor(Date.now() / 1000) + 60;
    const written = await files(sandbox.sandboxID, { path, username: 'user', signature: sign(path, 'write', 'user', token, expiration), signature_expiration: String(expiration) }, { method: 'POST', headers: { 'content-type': 'application/octet-stream' }, body: 'signed bytes' });
    expect(written.status).toBe(200);
    expect(await written.json()).toEqual([{ path, name: 'signed.txt', type: 'file' }]);
    const read = await files(sandbox.sandboxID, { path, username: 'user', signature: sign(path, 'read', 'user', token) });
    expect(read.status).toBe(200);
    expect(await read.text()).toBe('signed bytes');
    const byToken = await files(sandbox.sandboxID, { path }, { headers: { 'x-access-token': token } });
    expect(await byToken.text()).toBe('signed bytes');
    // No user in the URL signs as the empty string.
    const noUser = await files(sandbox.sandboxID, { path, signature: sign(path, 'read', '', token) });
    expect(noUser.status).toBe(200);
  });

  it("refuses /files for a missing, wrong, expired or mismatched signature, and a wrong token whatever the signature, each in envd's words", async () => {
    const token = sandbox.envdAccessToken!;
    const path = '/home/user/signed.txt';
    const past = Math.floor(Date.now() / 1000) - 10;
    const cases: Array<[Record<string, string>, Record<string, string>, string]> = [
      [{ path }, {}, 'missing signature query parameter'],
      [{ path, signature: 'v1_forged' }, {}, 'invalid signature'],
      // A read's signature does not write, nor one for another path read.
      [{ path: '/home/user/other.txt', signature: sign(path, 'read', '', token) }, {}, 'invalid signature'],
      // The expiry is part of what is signed: moving it breaks the signature before it is looked at.
      [{ path, signature: sign(path, 'read', '', token, past), signature_expiration: String(past + 1000) }, {}, 'invalid signature'],
      [{ path, signature: sign(path, 'read', '', token, past), signature_expiration: String(past) }, {}, 'signature is already expired'],
      [{ path, signature: sign(path, 'read', '', token) }, { 'x-access-token': 'wrong' }, 'access token present in header but does not match'],
    ];
    for (const [query, headers, message] of cases) {
      const refused = await files(sandbox.sandboxID, query, { headers });
      expect({ status: refused.status, body: await refused.json() }).toEqual({ status: 401, body: { code: 401, message } });
    }
    const writeWithReadSignature = await files(sandbox.sandboxID, { path, signature: sign(path, 'read', '', token) }, { method: 'POST', headers: { 'content-type': 'application/octet-stream' }, body: 'x' });
    expect(writeWithReadSignature.status).toBe(401);
    expect(await (await files(sandbox.sandboxID, { path }, { headers: { 'x-access-token': token } })).text()).toBe('signed bytes');
  });
});

describe("envd's /files at the server's root, where the SDK puts it given sandboxUrl", () => {
  it('finds the secure sandbox whose token signed the URL, and refuses what names none with the proxy\'s 502 and our reason', async () => {
    const [one, two] = [await create('/v2/sandboxes'), await create('/v2/sandboxes')];
    const path = '/home/user/at-root.txt';
    for (const [sandbox, text] of [[one, 'first'], [two, 'second']] as const) {
      const url = `${origin}/files?${new URLSearchParams({ path, signature: sign(path, 'write', '', sandbox.envdAccessToken!) })}`;
      expect((await fetch(url, { method: 'POST', headers: { 'content-type': 'application/octet-stream' }, body: text })).status).toBe(200);
    }
    for (const [sandbox, text] of [[one, 'first'], [two, 'second']] as const) {
      const read = await fetch(`${origin}/files?${new URLSearchParams({ path, signature: sign(path, 'read', '', sandbox.envdAccessToken!) })}`);
      expect([read.status, await read.text()]).toEqual([200, text]);
    }
    // An expired URL still finds its sandbox, which refuses it in envd's words.
    const past = Math.floor(Date.now() / 1000) - 5;
    const stale = await fetch(`${origin}/files?${new URLSearchParams({ path, signature: sign(path, 'read', '', one.envdAccessToken!, past), signature_expiration: String(past) })}`);
    expect([stale.status, await stale.json()]).toEqual([401, { code: 401, message: 'signature is already expired' }]);
    for (const query of [{ path }, { path, signature: 'v1_signed-by-nobody' }] as Array<Record<string, string>>) {
      const lost = await fetch(`${origin}/files?${new URLSearchParams(query)}`);
      expect([lost.status, await lost.json()]).toEqual([502, { code: 502, message: 'The sandbox was not found', sandboxId: '' }]);
      expect(lost.headers.get('x-emulator-reason')).toMatch(/no secure sandbox signed this URL/);
    }
    // Its signer paused, a signed URL names it all the same, and gets the proxy's 502 for it.
    expect((await fetch(`${origin}/e2b/sandboxes/${two.sandboxID}/pause`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' })).status).toBe(204);
    const paused = await fetch(`${origin}/files?${new URLSearchParams({ path, signature: sign(path, 'read', '', two.envdAccessToken!) })}`);
    expect([paused.status, await paused.json(), paused.headers.get('x-emulator-reason')]).toEqual([502, { code: 502, message: 'The sandbox was not found', sandboxId: two.sandboxID }, null]);
  });
});

describe('a sandbox that is not secure', () => {
  it('is what POST /sandboxes makes unless asked, and what either makes with secure: false; envd checks no token', async () => {
    for (const made of [await create('/sandboxes'), await create('/v2/sandboxes', { secure: false })]) {
      expect(made.envdAccessToken).toBeUndefined();
      expect((await list(made.sandboxID)).status).toBe(200);
      expect((await files(made.sandboxID, { path: '/home/user/open.txt' }, { method: 'POST', headers: { 'content-type': 'application/octet-stream' }, body: 'open' })).status).toBe(200);
    }
    const secured = await create('/sandboxes', { secure: true });
    expect(secured.envdAccessToken).toMatch(/^[0-9a-f]{64}$/);
    expect((await list(secured.sandboxID)).status).toBe(401);
  });
});
