import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { endOfStream, envelope } from '../providers/e2b/connect-envelope.ts';
import { CONNECT_END_STREAM, FrameSplitter, framingOf, splitFrames } from './frame-splitter.ts';

const bytesOf = (frame: { data: string | Uint8Array }) => (typeof frame.data === 'string' ? Buffer.from(frame.data) : Buffer.from(frame.data));

describe('Connect envelopes', () => {
  it('application/connect+json is cut into envelopes, the last flagged as the end of the stream', () => {
    expect(framingOf('application/connect+json')).toBe('connect');
    const body = Buffer.concat([bytesOf(envelope({ event: { data: { stdout: 'aGk=' } } })), bytesOf(endOfStream())]);
    const units = splitFrames(body, 'connect');
    expect(units.map((u) => [u.flags, u.payload])).toEqual([
      [0, { event: { data: { stdout: 'aGk=' } } }],
      [CONNECT_END_STREAM, {}],
    ]);
  });

  it('whatever chunks the bytes arrive in, the same envelopes come out (a length byte of 0x80 and up included)', () => {
    // A 200-byte message puts 0xc8 in the length: text decoding would have turned it into U+FFFD.
    const messages = [{ event: { data: { stdout: 'x'.repeat(200) } } }, { event: { end: { exited: true, status: 'exit status 0' } } }];
    const body = Buffer.concat([...messages.map((m) => bytesOf(envelope(m))), bytesOf(endOfStream({ code: 'unknown', message: 'gone' }))]);
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: body.length }), { maxLength: 12 }), (cuts) => {
        const splitter = new FrameSplitter('connect');
        const points = [...new Set(cuts)].sort((a, b) => a - b);
        const units = [];
        let at = 0;
        for (const point of [...points, body.length]) {
          units.push(...splitter.push(body.subarray(at, point)));
          at = point;
        }
        units.push(...splitter.end());
        expect(units.map((u) => u.payload)).toEqual([...messages, { error: { code: 'unknown', message: 'gone' } }]);
      }),
    );
  });

  it('half an envelope at the end, a compressed one and one that is not JSON are frames that say what is wrong', () => {
    const half = bytesOf(envelope({ event: {} })).subarray(0, 8);
    expect(splitFrames(half, 'connect')).toEqual([expect.objectContaining({ unreadable: 'the stream ended inside an envelope: 8 bytes left; it promised 12 bytes' })]);
    const compressed = Buffer.from(bytesOf(envelope({})));
    compressed[0] = 0x01;
    expect(splitFrames(compressed, 'connect')[0].unreadable).toMatch(/compressed/);
    const notJson = Buffer.concat([Buffer.from([0, 0, 0, 0, 3]), Buffer.from('{x}')]);
    expect(splitFrames(notJson, 'connect')[0].unreadable).toMatch(/^the envelope is not JSON/);
  });

  it('the text framings take bytes too, a character split across chunks included', () => {
    const splitter = new FrameSplitter('ndjson');
    const line = Buffer.from('{"a":"é"}\n');
    const at = line.indexOf(0xc3) + 1;
    expect([...splitter.push(line.subarray(0, at)), ...splitter.push(line.subarray(at)), ...splitter.end()].map((u) => u.payload)).toEqual([{ a: 'é' }]);
  });
});
