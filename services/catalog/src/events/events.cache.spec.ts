/** Issue 27: the event page and availability from the watch-fed ticket copy: its per-event index and the availability sums. */
import { availabilityOf, TicketIndex } from './events.cache.js';

const t = (remaining: number, total: number, price: number) => ({ remaining, total, price, closed: false });

describe('TicketIndex (ticket: keys by event)', () => {
  it('groups ticket keys by event, sorted by type; a change replaces its type; a delete removes it', () => {
    const ix = new TicketIndex();
    ix.apply(TicketIndex.idOf('E1', 'pink'), t(10, 10, 4500));
    ix.apply(TicketIndex.idOf('E1', 'blue'), t(5, 5, 12000));
    ix.apply(TicketIndex.idOf('E2', 'green'), t(1, 1, 100));
    expect(ix.of('E1').map((x) => x.type)).toEqual(['blue', 'pink']);
    const before = ix.of('E1');
    expect(ix.of('E1')).toBe(before); // served from the sorted list kept, not rebuilt per request
    ix.apply(TicketIndex.idOf('E1', 'pink'), t(7, 10, 4500));
    expect(ix.of('E1')).toEqual([
      { type: 'blue', remaining: 5, total: 5, price: 12000, closed: false },
      { type: 'pink', remaining: 7, total: 10, price: 4500, closed: false },
    ]);
    ix.apply(TicketIndex.idOf('E1', 'blue'), null);
    ix.apply(TicketIndex.idOf('E1', 'pink'), null);
    expect(ix.of('E1')).toEqual([]);
    expect(ix.of('E2')).toHaveLength(1);
    expect(ix.of('nope')).toEqual([]);
  });
});

describe('availabilityOf', () => {
  it('the cheapest price still on sale, else the cheapest; sums of remaining and total', () => {
    expect(availabilityOf([t(0, 10, 100), t(3, 5, 900), t(2, 2, 500)])).toEqual({ fromPrice: 500, remaining: 5, total: 17 });
    expect(availabilityOf([t(0, 10, 700), t(0, 5, 300)])).toEqual({ fromPrice: 300, remaining: 0, total: 15 });
    expect(availabilityOf([])).toEqual({ fromPrice: null, remaining: 0, total: 0 });
  });
});
