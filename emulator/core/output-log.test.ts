import { describe, expect, it } from 'vitest';
import { OutputLog } from './output-log.ts';

describe('OutputLog', () => {
  it('keeps the exact interleaving of both streams in sequence order', () => {
    const log = new OutputLog({ capBytes: 1024 });
    log.append('stdout', Buffer.from('a'));
    log.append('stderr', Buffer.from('b'));
    log.append('stdout', Buffer.from('c'));
    expect(log.chunks().map((c) => `${c.seq}${c.stream}${c.data}`)).toEqual(['0stdouta', '1stderrb', '2stdoutc']);
    expect(log.chunks({ streams: ['stdout'] }).map((c) => String(c.data))).toEqual(['a', 'c']);
    expect(log.chunks({ fromSeq: 1 }).map((c) => c.seq)).toEqual([1, 2]);
  });

  it('holds at most the cap per stream and counts exactly what it dropped', () => {
    const log = new OutputLog({ capBytes: 10 });
    for (let i = 0; i < 7; i++) log.append('stdout', Buffer.from('abcd'));
    log.append('stderr', Buffer.from('xy'));
    expect(log.bytesHeld('stdout')).toBe(10);
    expect(log.dropped('stdout')).toBe(18);
    expect(log.total('stdout')).toBe(28);
    expect(String(log.bytes('stdout'))).toBe('cdabcdabcd');
    expect(log.dropped('stderr')).toBe(0);
  });

  it('replays, then follows live chunks, and ends when closed', async () => {
    const log = new OutputLog({ capBytes: 1024 });
    log.append('stdout', Buffer.from('one'));
    const seen: string[] = [];
    const following = (async () => {
      for await (const chunk of log.follow({ streams: ['stdout'] })) {
        seen.push(String(chunk.data));
        if (seen.length === 1) {
          log.append('stderr', Buffer.from('ignored'));
          log.append('stdout', Buffer.from('two'));
          log.close();
        }
      }
    })();
    await following;
    expect(seen).toEqual(['one', 'two']);
  });

  it('stops a follower when its signal aborts', async () => {
    const log = new OutputLog({ capBytes: 1024 });
    const controller = new AbortController();
    const iterator = log.follow({ signal: controller.signal })[Symbol.asyncIterator]();
    const next = iterator.next();
    controller.abort();
    await expect(next).resolves.toEqual({ done: true, value: undefined });
  });
});
