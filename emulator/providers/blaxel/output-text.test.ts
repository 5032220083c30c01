import { describe, expect, it } from 'vitest';
import { OutputLog } from '../../core/output-log.ts';
import { concatenatedText, mergedText, streamText, TRUNCATION_MARKER } from './output-text.ts';

function log(capBytes = 1 << 20): OutputLog {
  return new OutputLog({ capBytes });
}

describe('output text', () => {
  it('merges both streams in the order written, and concatenates for the quirk', () => {
    const l = log();
    l.append('stdout', Buffer.from('a\n'));
    l.append('stderr', Buffer.from('b\n'));
    l.append('stdout', Buffer.from('c\n'));
    expect(mergedText(l, 100)).toBe('a\nb\nc\n');
    expect(concatenatedText(l, 100)).toBe('a\nc\nb\n');
  });

  it('keeps the last bytes of each stream and puts one marker in front', () => {
    const l = log();
    l.append('stdout', Buffer.from('0123456789'));
    l.append('stderr', Buffer.from('xy'));
    l.append('stdout', Buffer.from('abc'));
    expect(streamText(l, 'stdout', 4)).toBe(`${TRUNCATION_MARKER}9abc`);
    expect(streamText(l, 'stderr', 4)).toBe('xy');
    expect(mergedText(l, 4)).toBe(`${TRUNCATION_MARKER}9xyabc`);
  });

  it('counts bytes the log itself dropped as a cut', () => {
    const l = log(3);
    l.append('stdout', Buffer.from('hello'));
    expect(streamText(l, 'stdout', 100)).toBe(`${TRUNCATION_MARKER}llo`);
    expect(mergedText(l, 100)).toBe(`${TRUNCATION_MARKER}llo`);
  });

  it('never shows half a character: a cut moves to the next one, a split read is decoded whole', () => {
    const l = log();
    const e = Buffer.from('é'); // two bytes
    l.append('stdout', Buffer.concat([Buffer.from('aé'), e.subarray(0, 1)]));
    l.append('stderr', Buffer.from('!'));
    l.append('stdout', e.subarray(1));
    expect(mergedText(l, 100)).toBe('aé!é');
    expect(streamText(l, 'stdout', 4)).toBe(`${TRUNCATION_MARKER}éé`);
    expect(streamText(l, 'stdout', 3)).toBe(`${TRUNCATION_MARKER}é`);
  });

  it('shows new output at once, though texts of an unchanged log are not built again', () => {
    const l = log();
    l.append('stdout', Buffer.from('a\n'));
    expect(mergedText(l, 100)).toBe('a\n');
    expect(mergedText(l, 100)).toBe('a\n');
    expect(streamText(l, 'stdout', 100)).toBe('a\n');
    l.append('stderr', Buffer.from('b\n'));
    expect(mergedText(l, 100)).toBe('a\nb\n');
    expect(streamText(l, 'stderr', 100)).toBe('b\n');
    expect(mergedText(l, 1)).toBe(`${TRUNCATION_MARKER}\n\n`);
  });

  it('decodes a character split at the end of one call apart from the next call', () => {
    const l = log();
    l.append('stdout', Buffer.from('é').subarray(0, 1));
    expect(mergedText(l, 100)).toBe('\uFFFD');
    const other = log();
    other.append('stdout', Buffer.from('x'));
    expect(mergedText(other, 100)).toBe('x');
  });

  it('builds the texts of a log of more than 16 KiB each time, alike', () => {
    const l = log();
    l.append('stdout', Buffer.alloc(20_000, 0x61));
    expect(streamText(l, 'stdout', 1 << 20)).toBe('a'.repeat(20_000));
    l.append('stdout', Buffer.from('b'));
    expect(mergedText(l, 1 << 20)).toBe(`${'a'.repeat(20_000)}b`);
  });
});
