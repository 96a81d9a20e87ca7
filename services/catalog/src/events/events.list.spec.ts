import type { EventRecord } from '@ticketcd/contracts';
import { compareKeys, decodeCursor, encodeCursor, sortKey } from './events.list.js';

const ev = (date: string) => ({ date }) as EventRecord;

describe('event listing order', () => {
  it('puts upcoming events first, soonest first, then past events, latest first', () => {
    const now = '2026-06-01T00:00:00.000Z';
    const keys = [
      sortKey('a', ev('2026-01-01T00:00:00.000Z'), now),
      sortKey('b', ev('2026-09-01T00:00:00.000Z'), now),
      sortKey('c', ev('2026-07-01T00:00:00.000Z'), now),
      sortKey('d', ev('2026-03-01T00:00:00.000Z'), now),
    ].sort(compareKeys);
    expect(keys.map((k) => k[2])).toEqual(['c', 'b', 'd', 'a']);
  });

  it('round-trips cursors and rejects foreign ones', () => {
    const k = sortKey('x', ev('2026-07-01T00:00:00.000Z'), '2026-01-01T00:00:00.000Z');
    expect(decodeCursor(encodeCursor(k))).toEqual(k);
    expect(decodeCursor('garbage')).toBeNull();
    expect(decodeCursor(Buffer.from('[2,"a","b"]').toString('base64url'))).toBeNull();
  });
});
