// A page open in the developer's browser must not run commands through the emulator: neither
// a cross-site request (with or without a preflight) nor a DNS-rebinding page under a name of
// its own. Provider clients, which send no Origin, are not touched; nor is an origin the user
// allowed. Every request goes over real HTTP with the headers a browser would send.

import { existsSync, readdirSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEmulator, type BaseUrls, type Emulator } from '../../index.ts';

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
}

/** One request with exactly these headers (fetch would not let a test set Host or Origin). */
function send(url: string, method: string, headers: Record<string, string>, body?: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method, headers: body === undefined ? headers : { 'content-length': String(Buffer.byteLength(body)), ...headers } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

const EVIL = 'https://evil.example';
const ALLOWED = 'http://localhost:5173';

let emulator: Emulator;
let urls: BaseUrls;
let port: string;

beforeAll(async () => {
  emulator = await createEmulator({ port: 0, allowOrigins: [ALLOWED], allowedHosts: ['emulator.internal'] });
  urls = await emulator.listen();
  port = new URL(urls.origin).port;
});
afterAll(() => emulator?.close());

/** The drive-by: a command that leaves a file behind if it ever runs, in a sandbox of its own. */
function driveBy(box: string) {
  const marker = `ran-${box}`;
  return {
    url: `${urls.blaxel.sandbox(box)}/process`,
    body: JSON.stringify({ command: `id; touch ${marker}`, waitForCompletion: true }),
    /** True when the command ran: its file is in the sandbox's folder (if there is one). */
    ran: () => {
      const folder = folderOf(box);
      return folder !== undefined && existsSync(join(emulator.app.root, folder, marker));
    },
    sandboxMade: () => folderOf(box) !== undefined,
  };
}

/** A sandbox's folder (`<provider>/<n>-<id>` in the emulator's root), once the sandbox exists. */
function folderOf(box: string): string | undefined {
  for (const provider of readdirSync(emulator.app.root)) {
    const found = readdirSync(join(emulator.app.root, provider)).find((name) => name.endsWith(`-${box}`));
    if (found) return join(provider, found);
  }
  return undefined;
}

describe('a web page of another site', () => {
  it('cannot run a command with a text/plain POST (no preflight needed), and reads nothing', async () => {
    const attack = driveBy('textplain');
    const answer = await send(attack.url, 'POST', { origin: EVIL, 'content-type': 'text/plain;charset=UTF-8' }, attack.body);
    expect(answer.status).toBe(403);
    expect(answer.headers['access-control-allow-origin']).toBeUndefined();
    expect(JSON.parse(answer.text).error).toMatch(/^Failed to serve the request: .*'https:\/\/evil\.example'.*--allow-origin https:\/\/evil\.example\.$/);
    expect(answer.text).not.toContain('uid=');
    expect(attack.sandboxMade()).toBe(false);
  });

  it('cannot run one with application/json either, nor pass a preflight', async () => {
    const attack = driveBy('json');
    const preflight = await send(attack.url, 'OPTIONS', { origin: EVIL, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' });
    expect(preflight.status).toBe(403);
    expect(preflight.headers['access-control-allow-origin']).toBeUndefined();
    const answer = await send(attack.url, 'POST', { origin: EVIL, 'content-type': 'application/json' }, attack.body);
    expect(answer.status).toBe(403);
    expect(attack.sandboxMade()).toBe(false);
  });

  it('cannot make sandboxes with plain GETs (an <img> sends Sec-Fetch-Site and no Origin)', async () => {
    const answer = await send(`${urls.blaxel.sandbox('by-img')}/process`, 'GET', { 'sec-fetch-site': 'cross-site', 'sec-fetch-mode': 'no-cors' });
    expect(answer.status).toBe(403);
    const sameSite = await send(`${urls.tensorlake.sandbox('by-img-2')}/api/v1/processes`, 'GET', { 'sec-fetch-site': 'same-site', 'sec-fetch-mode': 'no-cors' });
    expect(sameSite.status).toBe(403);
    expect([folderOf('by-img'), folderOf('by-img-2')]).toEqual([undefined, undefined]);
  });

  it("under a rebound name of its own (DNS rebinding: same origin, the attacker's Host) is refused", async () => {
    const attack = driveBy('rebind');
    const host = `rebind.evil.example:${port}`;
    const answer = await send(attack.url, 'POST', { host, origin: `http://${host}`, 'content-type': 'application/json' }, attack.body);
    expect(answer.status).toBe(403);
    expect(JSON.parse(answer.text).error).toContain(`the Host '${host}' is not an address of this emulator`);
    // A simple GET from the same page carries no Origin at all: the Host alone refuses it.
    expect((await send(attack.url, 'GET', { host })).status).toBe(403);
    expect(attack.sandboxMade()).toBe(false);
  });
});

describe('clients that are not web pages', () => {
  it('curl and the SDKs (no Origin) run commands as before, and no answer says Access-Control-Allow-Origin: *', async () => {
    const run = driveBy('curl');
    const answer = await send(run.url, 'POST', { 'content-type': 'application/json' }, run.body);
    expect(answer.status).toBe(200);
    expect(JSON.parse(answer.text).stdout).toMatch(/^uid=/);
    expect(answer.headers['access-control-allow-origin']).toBeUndefined();
    expect(run.ran()).toBe(true);
  });

  it('Blaxel still reads a text/plain body as JSON from a client that is not a browser, as gin does', async () => {
    const run = driveBy('curl-text');
    const answer = await send(run.url, 'POST', { 'content-type': 'text/plain' }, run.body);
    expect(answer.status).toBe(200);
    expect(run.ran()).toBe(true);
  });

  it.each([
    ['localhost', 'localhost:PORT'],
    ['a loopback address', '127.0.0.1:PORT'],
    ['an address of the machine (a published container port)', '10.1.2.3:PORT'],
    ["the Tensorlake SDK's sandbox name", 'sbx-1.local'],
    ['a name allowed with --allowed-host', 'emulator.internal:PORT'],
  ])('reach it by %s', async (_what, host) => {
    // The port is known once the emulator listens, after the table was made.
    const answer = await send(`${urls.tensorlake.sandbox('sbx-hosts')}/api/v1/processes`, 'GET', { host: host.replace('PORT', port) });
    expect(answer.status).toBe(200);
  });

  it('a name nobody allowed is refused, with the flag that would allow it', async () => {
    const answer = await send(`${urls.tensorlake.sandbox('sbx-hosts')}/api/v1/processes`, 'GET', { host: `compose-service:${port}` });
    expect(answer.status).toBe(403);
    expect(JSON.parse(answer.text).error).toContain('--allowed-host compose-service.');
  });
});

describe('a web page the user allowed', () => {
  it('passes its preflight and gets CORS headers naming its origin, for every provider', async () => {
    for (const url of [`${urls.blaxel.sandbox('allowed')}/process`, `${urls.tensorlake.sandbox('sbx-allowed')}/api/v1/processes`, `${urls.agentbox.endpoint}/v1/sandboxes`]) {
      const preflight = await send(url, 'OPTIONS', { origin: ALLOWED, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type, authorization' });
      expect(preflight.status, url).toBe(204);
      expect(preflight.headers['access-control-allow-origin']).toBe(ALLOWED);
      expect(preflight.headers['access-control-allow-headers']).toBe('content-type, authorization');
      expect(String(preflight.headers['access-control-allow-methods'])).toContain('POST');
    }
    const run = driveBy('allowed');
    const answer = await send(run.url, 'POST', { origin: ALLOWED, 'content-type': 'application/json' }, run.body);
    expect(answer.status).toBe(200);
    expect(answer.headers['access-control-allow-origin']).toBe(ALLOWED);
    expect(answer.headers.vary).toBe('Origin');
    expect(run.ran()).toBe(true);
  });

  it('still cannot send text/plain as JSON', async () => {
    const run = driveBy('allowed-text');
    const answer = await send(run.url, 'POST', { origin: ALLOWED, 'content-type': 'text/plain' }, run.body);
    expect(answer.status).toBe(415);
    expect(run.sandboxMade()).toBe(false);
  });

  it("the emulator's own pages (same origin) need no flag", async () => {
    const host = `127.0.0.1:${port}`;
    const answer = await send(`${urls.tensorlake.sandbox('sbx-own')}/api/v1/processes`, 'GET', { host, origin: `http://${host}`, 'sec-fetch-site': 'same-origin' });
    expect(answer.status).toBe(200);
    expect(answer.headers['access-control-allow-origin']).toBeUndefined();
  });
});
