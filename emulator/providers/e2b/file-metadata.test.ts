// envd's user metadata on files over HTTP, where the SDK does not go: its own checks refuse bad
// keys and values before sending, so envd's refusals are reached by raw requests only. The
// words are envd's (packages/shared/pkg/filesystem/xattr.go of e2b-dev/infra).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEmulator, type Emulator } from '../../index.ts';
import { envelope } from './connect-envelope.ts';

let emulator: Emulator;
let origin: string;
let sandbox: string;
beforeAll(async () => {
  emulator = await createEmulator({ port: 0, providers: ['e2b'] });
  origin = (await emulator.listen()).origin;
  // Made by the older POST /sandboxes, which is not secure unless asked: no token to carry.
  const created = await fetch(`${origin}/e2b/sandboxes`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ templateID: 'base', timeout: 120 }) });
  sandbox = ((await created.json()) as { sandboxID: string }).sandboxID;
});
afterAll(() => emulator?.close());

const upload = (path: string, body: string, headers: Record<string, string> = {}) =>
  fetch(`${origin}/e2b/envd/files?path=${encodeURIComponent(path)}`, { method: 'POST', headers: { 'content-type': 'application/octet-stream', 'e2b-sandbox-id': sandbox, ...headers }, body });
const rpc = async (procedure: string, body: unknown) => {
  const answer = await fetch(`${origin}/e2b/envd/filesystem.Filesystem/${procedure}`, { method: 'POST', headers: { 'content-type': 'application/json', 'e2b-sandbox-id': sandbox }, body: JSON.stringify(body) });
  return (await answer.json()) as any;
};
const metadataOf = async (path: string) => (await rpc('Stat', { path })).entry.metadata;

/** Runs a shell command in the sandbox through envd's Start, to its end. */
async function sh(command: string): Promise<void> {
  const answer = await fetch(`${origin}/e2b/envd/process.Process/Start`, {
    method: 'POST',
    headers: { 'content-type': 'application/connect+json', 'e2b-sandbox-id': sandbox },
    body: Buffer.from(envelope({ process: { cmd: '/bin/sh', args: ['-c', command] } }).data),
  });
  const text = Buffer.from(await answer.arrayBuffer()).toString('latin1');
  // Its end event; a zero exit code is a default value, which protobuf's JSON leaves out.
  expect(text).toContain('"end"');
  expect(text).not.toMatch(/"exitCode":-?[1-9]/);
}

describe("envd's file metadata", () => {
  it('is what the X-Metadata- headers say, keys lower-cased, in the upload answer and every EntryInfo; a bare prefix is no key', async () => {
    const answer = await upload('/home/user/tagged.txt', 'data', { 'X-Metadata-Author': 'mish', 'x-metadata-purpose': 'a test, with: punctuation', 'X-Metadata-': 'ignored' });
    expect(answer.status).toBe(200);
    const expected = { author: 'mish', purpose: 'a test, with: punctuation' };
    expect(await answer.json()).toEqual([{ path: '/home/user/tagged.txt', name: 'tagged.txt', type: 'file', metadata: expected }]);
    expect(await metadataOf('tagged.txt')).toEqual(expected);
    const listed = await rpc('ListDir', { path: '/home/user', depth: 1 });
    expect(listed.entries.find((e: { name: string }) => e.name === 'tagged.txt').metadata).toEqual(expected);
    // A file without any has no field at all, as envd leaves it out.
    await upload('/home/user/plain.txt', 'data');
    expect(Object.keys((await rpc('Stat', { path: 'plain.txt' })).entry)).not.toContain('metadata');
  });

  it('is replaced whole by the next upload, and cleared by one without headers', async () => {
    await upload('/home/user/again.txt', 'one', { 'x-metadata-a': '1', 'x-metadata-b': '2' });
    await upload('/home/user/again.txt', 'two', { 'x-metadata-b': '3' });
    expect(await metadataOf('again.txt')).toEqual({ b: '3' });
    await upload('/home/user/again.txt', 'three');
    expect(await metadataOf('again.txt')).toBeUndefined();
  });

  it('follows the file as an xattr does: kept by a Move and a command’s mv, not by a cp, not by a new file where one was removed', async () => {
    await upload('/home/user/moving.txt', 'm', { 'x-metadata-kind': 'kept' });
    const moved = await rpc('Move', { source: '/home/user/moving.txt', destination: '/home/user/moved.txt' });
    expect(moved.entry.metadata).toEqual({ kind: 'kept' });
    await sh('mv moved.txt by-mv.txt && cp by-mv.txt copied.txt');
    expect(await metadataOf('by-mv.txt')).toEqual({ kind: 'kept' });
    expect(await metadataOf('copied.txt')).toBeUndefined();
    await sh('rm by-mv.txt && printf new > by-mv.txt');
    expect(await metadataOf('by-mv.txt')).toBeUndefined();
  });

  it('goes on every file of a multipart upload', async () => {
    const form = new FormData();
    form.append('file', new Blob(['1']), '/home/user/many/1.txt');
    form.append('file', new Blob(['2']), '/home/user/many/2.txt');
    const answer = await fetch(`${origin}/e2b/envd/files`, { method: 'POST', headers: { 'e2b-sandbox-id': sandbox, 'x-metadata-batch': 'b7' }, body: form });
    expect((await answer.json()).map((e: { metadata: unknown }) => e.metadata)).toEqual([{ batch: 'b7' }, { batch: 'b7' }]);
    expect([await metadataOf('many/1.txt'), await metadataOf('many/2.txt')]).toEqual([{ batch: 'b7' }, { batch: 'b7' }]);
  });

  it("refuses a value that is not printable ASCII, a key past 246 bytes and a set past 4096, with envd's 400, writing nothing", async () => {
    const cases: Array<[Record<string, string>, string]> = [
      [{ 'x-metadata-note': 'tab\there' }, 'invalid metadata: metadata value for key "note" contains non-printable-ASCII byte 0x09 at offset 3'],
      // Node reads header bytes as latin1: é is the one byte 0xe9.
      [{ 'x-metadata-note': 'caf\u00e9' }, 'invalid metadata: metadata value for key "note" contains non-printable-ASCII byte 0xe9 at offset 3'],
      [{ [`x-metadata-${'k'.repeat(247)}`]: 'v' }, `invalid metadata: metadata key "${'k'.repeat(247)}" exceeds 246 bytes`],
      // Each key counts its 9-byte namespace (user.e2b.) too: 2 × (9 + 2 + 2040) = 4102.
      [{ 'x-metadata-k1': 'v'.repeat(2040), 'x-metadata-k2': 'v'.repeat(2040) }, 'invalid metadata: total metadata size 4102 exceeds 4096 bytes'],
    ];
    for (const [headers, message] of cases) {
      const refused = await upload('/home/user/refused.txt', 'never', headers);
      expect({ status: refused.status, body: await refused.json() }).toEqual({ status: 400, body: { code: 400, message } });
    }
    expect((await rpc('Stat', { path: 'refused.txt' })).code).toBe('not_found');
    // At the limits exactly, it is taken.
    expect((await upload('/home/user/limits.txt', 'ok', { [`x-metadata-${'k'.repeat(246)}`]: 'v' })).status).toBe(200);
    expect((await upload('/home/user/limits.txt', 'ok', { 'x-metadata-k1': 'v'.repeat(2037), 'x-metadata-k2': 'v'.repeat(2037) })).status).toBe(200);
  });
});
