/** Issue 17 point 4: how a batch of tickets.sold is split into Txns within etcd's 128 ops. */
import { txnGroups, uniqueSales } from './sold.batch.js';

const sale = (eventId: string, orderId: string, username = 'ana') => ({ eventId, orderId, username });

describe('tickets.sold batches', () => {
  it('one event: 127 orders + its stats key make one 128-op Txn, the 128th order starts the next', () => {
    const sales = Array.from({ length: 300 }, (_, i) => sale('E', `o${i}`));
    expect(txnGroups(sales).map((g) => g.length)).toEqual([127, 127, 46]);
  });

  it('every group stays within orders + distinct events <= 128', () => {
    const sales = Array.from({ length: 1000 }, (_, i) => sale(`E${(i * 7) % 90}`, `o${i}`));
    const groups = txnGroups(sales);
    expect(groups.flat()).toEqual(sales);
    for (const g of groups) expect(g.length + new Set(g.map((s) => s.eventId)).size).toBeLessThanOrEqual(128);
  });

  it('the same order twice in one batch counts once; the same order id of another event or buyer is another sale', () => {
    const sales = [sale('A', '1'), sale('A', '1'), sale('B', '1'), sale('A', '1', 'bo'), sale('A', '2')];
    expect(uniqueSales(sales)).toEqual([sale('A', '1'), sale('B', '1'), sale('A', '1', 'bo'), sale('A', '2')]);
  });
});
