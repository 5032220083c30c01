import { describe, expect, it } from 'vitest';
import { endOfStream, envelope } from '../providers/e2b/connect-envelope.ts';
import { fixtureToYaml } from './fixture-yaml.ts';
import { Recording } from './recording.ts';

const bytes = (frame: { data: string | Uint8Array }) => Buffer.from(frame.data);

describe('recording a Connect stream (E2B envd)', () => {
  it('keeps one frame per envelope, as bytes, however the chunks cut them; the request envelope and the sandbox header too', () => {
    const recording = new Recording({ provider: 'e2b', upstream: new URL('http://127.0.0.1:4747') }, { mount: () => undefined });
    const request = bytes(envelope({ process: { cmd: '/bin/bash', args: ['-c', 'echo hi'] }, stdin: false }));
    const exchange = recording.begin({
      method: 'POST',
      surface: { mountId: 'e2b-envd', vars: {}, path: '/process.Process/Start' },
      headers: { 'content-type': 'application/connect+json', 'e2b-sandbox-id': 'abc123', 'connect-timeout-ms': '60000' },
    });
    exchange.sent(request);
    exchange.answer(200, { 'content-type': 'application/connect+json' });
    // A message of 200 bytes puts 0xc8 in its length: decoded as text it would be lost.
    const envelopes = [envelope({ event: { start: { pid: 7 } } }), envelope({ event: { data: { stdout: Buffer.from('x'.repeat(150)).toString('base64') } } }), endOfStream()].map(bytes);
    const body = Buffer.concat(envelopes);
    // Cut inside the first envelope's head, then two and a half envelopes in one chunk, then the rest.
    for (const [from, to] of [[0, 3], [3, envelopes[0].length + envelopes[1].length + 2], [envelopes[0].length + envelopes[1].length + 2, body.length]]) exchange.data(body.subarray(from, to));
    exchange.end({ cut: false });
    const [recorded] = recording.fixture().exchanges;
    expect(recorded.response.frames!.map(bytes)).toEqual(envelopes);
    expect(Buffer.from(recorded.request.base64!, 'base64')).toEqual(request);
    expect(recorded.request.headers).toEqual({ 'content-type': 'application/connect+json', 'e2b-sandbox-id': 'abc123' });
    const written = fixtureToYaml(recording.fixture());
    // The end envelope in its readable form; its `after` is real time, so any figure goes.
    expect(written).toMatch(/- \{ after: \d+, end: \{\} \}/);
    expect(written).toMatch(/envelope:\n\s+process:/);
  });

  it('keeps half an envelope at a cut as the bytes that came', () => {
    const recording = new Recording({ provider: 'e2b', upstream: new URL('http://127.0.0.1:4747') }, { mount: () => undefined });
    const exchange = recording.begin({ method: 'POST', surface: { mountId: 'e2b-envd', vars: {}, path: '/process.Process/Start' }, headers: { 'content-type': 'application/connect+json' } });
    exchange.answer(200, { 'content-type': 'application/connect+json' });
    const whole = bytes(envelope({ event: { start: { pid: 7 } } }));
    exchange.data(Buffer.concat([whole, whole.subarray(0, 6)]));
    exchange.end({ cut: true });
    const [recorded] = recording.fixture().exchanges;
    expect(recorded.response.frames!.map(bytes)).toEqual([whole, whole.subarray(0, 6)]);
    expect(recorded.response.cut).toBe(true);
  });
});
