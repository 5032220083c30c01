import { describe, expect, it } from 'vitest';
import { LineSplitter, splitLines } from './line-splitter.ts';
import { OutputLog, type OutputChunk } from './output-log.ts';

function chunk(seq: number, data: string | Buffer, stream: 'stdout' | 'stderr' = 'stdout'): OutputChunk {
  return { seq, stream, time: 1000 + seq, data: typeof data === 'string' ? Buffer.from(data) : data };
}

describe('splitLines', () => {
  it('splits per stream, keeps a last line without newline, and decodes UTF-8 split across reads', () => {
    const log = new OutputLog({ capBytes: 1024 });
    const euro = Buffer.from('€');
    log.append('stdout', Buffer.concat([Buffer.from('x'), euro.subarray(0, 1)]));
    log.append('stderr', Buffer.from('err\r\n'));
    log.append('stdout', Buffer.concat([euro.subarray(1), Buffer.from('\ntail')]));
    const lines = splitLines(log.chunks());
    expect(lines.map((l) => [l.stream, l.text])).toEqual([
      ['stderr', 'err'],
      ['stdout', 'x€'],
      ['stdout', 'tail'],
    ]);
  });

  it('turns bytes that are not UTF-8 into U+FFFD instead of dropping them, as TextDecoder does', () => {
    const samples = [[0x61, 0xff, 0x62], [0xe0, 0x80, 0x61], [0xf0, 0x90, 0x80, 0x61], [0xed, 0xa0, 0x80], [0xc0, 0xaf], [0xf4, 0x90, 0x80, 0x80]];
    for (const bytes of samples) {
      const whole = new OutputLog({ capBytes: 1024 });
      whole.append('stdout', Buffer.from([...bytes, 0x0a]));
      const expected = new TextDecoder().decode(Buffer.from(bytes));
      expect(splitLines(whole.chunks())[0].text).toBe(expected);
      // One byte per read: the decoder carries a character across reads.
      const bytewise = new OutputLog({ capBytes: 1024 });
      for (const b of [...bytes, 0x0a]) bytewise.append('stdout', Buffer.from([b]));
      expect(splitLines(bytewise.chunks())[0].text).toBe(expected);
    }
  });

  it('cuts a line longer than the limit into pieces rather than buffering it whole', () => {
    const log = new OutputLog({ capBytes: 1024 });
    log.append('stdout', Buffer.from('abcdefghij\n'));
    expect(splitLines(log.chunks(), { maxLineLength: 4 }).map((l) => l.text)).toEqual(['abcd', 'efgh', 'ij']);
  });
});

describe('LineSplitter batches', () => {
  it('gives every line a chunk completed in one batch, with the chunk time and seq', () => {
    const splitter = new LineSplitter();
    expect(splitter.push(chunk(0, 'a\nb\nc'))).toEqual({ stream: 'stdout', time: 1000, seq: 0, texts: ['a', 'b'], joined: 'a\nb' });
    expect(splitter.push(chunk(1, 'd\n\ne\r\n'))).toEqual({ stream: 'stdout', time: 1001, seq: 1, texts: ['cd', '', 'e'] });
    expect(splitter.push(chunk(2, 'no newline')).texts).toEqual([]);
    expect(splitter.end()).toEqual([{ stream: 'stdout', time: 1002, seq: 2, texts: ['no newline'] }]);
  });

  it('keeps the streams apart and flushes them in the order they were last written', () => {
    const splitter = new LineSplitter();
    splitter.push(chunk(0, 'out', 'stdout'));
    splitter.push(chunk(1, 'err', 'stderr'));
    splitter.push(chunk(2, '-more', 'stdout'));
    expect(splitter.end().map((b) => [b.stream, b.texts])).toEqual([
      ['stderr', ['err']],
      ['stdout', ['out-more']],
    ]);
  });

  it('strips only a carriage return that ends a line', () => {
    const splitter = new LineSplitter();
    expect(splitter.push(chunk(0, 'a\rb\r\nc\r\r\n')).texts).toEqual(['a\rb', 'c\r']);
  });

  it('hands over the lines joined as they came, only while that is exactly texts.join', () => {
    const splitter = new LineSplitter({ maxLineLength: 8 });
    const batches = [splitter.push(chunk(0, 'a\nb\nc')), splitter.push(chunk(1, 'd\n\n')), splitter.push(chunk(2, 'e\r\n')), splitter.push(chunk(3, 'long-line-here\n'))];
    expect(batches.map((b) => b.joined)).toEqual(['a\nb', 'cd\n', undefined, undefined]);
    for (const b of batches) if (b.joined !== undefined) expect(b.joined).toBe(b.texts.join('\n'));
  });

  it('cuts an endless line into pieces as it grows, and keeps what follows in order', () => {
    const splitter = new LineSplitter({ maxLineLength: 4 });
    expect(splitter.push(chunk(0, 'abcdefghij')).texts).toEqual(['abcd', 'efgh']);
    expect(splitter.push(chunk(1, 'kl\nmnopqrstu\nv\n')).texts).toEqual(['ijkl', 'mnop', 'qrst', 'u', 'v']);
    expect(splitter.end()).toEqual([]);
  });
});
