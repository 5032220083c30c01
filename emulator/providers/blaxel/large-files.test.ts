import { createHash } from 'node:crypto';
import { statSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBlaxel, type BlaxelTarget } from '../../test-support/blaxel-kit.ts';

// Large files go through the emulator as streams: a 512 MiB upload (one multipart part, the body
// streamed to disk as it arrives), its assembly and its download never hold the file in memory.
// Emulator and client share this process, so the peak RSS covers both.

const SIZE = 512 * 1024 * 1024;
const CHUNK = 1024 * 1024;
/** Far below the file's size; what a stream needs plus what the allocator keeps. */
const MAX_GROWTH = 160 * 1024 * 1024;

let target: BlaxelTarget;

beforeAll(async () => {
  target = await startBlaxel();
});

afterAll(async () => {
  await target?.emulator.close();
});

/** The highest RSS seen while `work` runs, sampled every 10 ms. */
async function peakRss<T>(work: () => Promise<T>): Promise<{ result: T; peak: number }> {
  let peak = process.memoryUsage().rss;
  const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 10);
  try {
    const result = await work();
    return { result, peak: Math.max(peak, process.memoryUsage().rss) };
  } finally {
    clearInterval(timer);
  }
}

/**
 * PUTs a multipart body with one `file` part of SIZE bytes (chunk i filled with i % 251), made
 * as it is sent and only as fast as the socket takes it (node:http's back-pressure: fetch would
 * queue a streamed body in memory ahead of the socket, and this test measures the server).
 */
function putStreamedForm(url: string, boundary: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'PUT', headers: { 'content-type': `multipart/form-data; boundary=${boundary}` } }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (text: string) => (body += text));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.write(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="big.bin"\r\n\r\n`);
    let i = 0;
    const more = () => {
      while (i < SIZE / CHUNK) {
        const ok = req.write(Buffer.alloc(CHUNK, i++ % 251));
        if (!ok) return void req.once('drain', more);
      }
      req.end(`\r\n--${boundary}--\r\n`);
    };
    more();
  });
}

function expectedHash(): string {
  const hash = createHash('sha256');
  for (let i = 0; i < SIZE / CHUNK; i++) hash.update(Buffer.alloc(CHUNK, i % 251));
  return hash.digest('hex');
}

describe('large files', () => {
  it('uploads, assembles and downloads 512 MiB without holding it in memory', { timeout: 120_000 }, async () => {
    const box = target.sandbox('large');
    const folder = (await box.exec({ command: 'pwd', waitForCompletion: true })).stdout.trim();
    const before = process.memoryUsage().rss;
    const { peak } = await peakRss(async () => {
      const { uploadId } = await (await box.postJson(`/filesystem-multipart/initiate/${encodeURIComponent('/big.bin')}`, {})).json();
      const part = await putStreamedForm(`${box.base}/filesystem-multipart/${uploadId}/part?partNumber=1`, 'large-file-boundary');
      expect(part.status).toBe(200);
      const { etag, size } = JSON.parse(part.body);
      expect(size).toBe(SIZE);
      const done = await box.postJson(`/filesystem-multipart/${uploadId}/complete`, { parts: [{ partNumber: 1, etag }] });
      expect(done.status).toBe(200);
      expect(statSync(join(folder, 'big.bin')).size).toBe(SIZE);

      const download = await box.fetch(`/filesystem/${encodeURIComponent('/big.bin')}`, { headers: { accept: 'application/octet-stream' } });
      expect(download.headers.get('content-length')).toBe(String(SIZE));
      const hash = createHash('sha256');
      let received = 0;
      for await (const chunk of download.body as unknown as AsyncIterable<Uint8Array>) {
        received += chunk.byteLength;
        hash.update(chunk);
      }
      expect(received).toBe(SIZE);
      expect(hash.digest('hex')).toBe(expectedHash());
    });
    expect(peak - before).toBeLessThan(MAX_GROWTH);
    // The JSON form would hold it whole: refused, with the way to read it instead.
    const asJson = await box.fetch(`/filesystem/${encodeURIComponent('/big.bin')}`);
    expect(asJson.status).toBe(422);
    expect((await asJson.json()).error).toMatch(/too large for a JSON answer; read it as application\/octet-stream$/);
    expect(target.emulator.app.violations).toEqual([]);
  });
});
