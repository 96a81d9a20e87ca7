/** Reconcile's rules (issue 13, point 4): only counted sales, guarded writes, re-read on conflict. */
import { EMPTY_STATS } from '@ticketcd/contracts';
import type { HistoryRepository, StatsSnapshot } from '../history/history.repository.js';
import { StatsService } from './stats.service.js';

const KEY = 'stats:01J0000000000000000000000A';

const stats = (orders: number) => ({ orders, revenue: orders * 10, soldByType: { pink: orders } });

function repoWith(snapshots: StatsSnapshot[], writes: boolean[]) {
  const written: unknown[] = [];
  const repo = {
    statsSnapshot: async () => snapshots.shift()!,
    writeStatsGuarded: async (values: unknown) => {
      written.push(values);
      return writes.shift()!;
    },
  } as unknown as HistoryRepository;
  return { service: new StatsService(repo), written };
}

describe('StatsService.reconcile', () => {
  it('writes each differing key guarded by the revision it read, and reads again when a guard fails', async () => {
    const snap = (keptOrders: number, counted: number, modRevision: number): StatsSnapshot => ({
      revision: modRevision,
      kept: new Map([[KEY, { value: stats(keptOrders), modRevision }]]),
      recomputed: new Map([[KEY, stats(counted)]]),
      uncounted: 3,
    });
    const { service, written } = repoWith([snap(9, 5, 40), snap(10, 6, 41)], [false, true]);
    const r = await service.reconcile(true);
    expect(r).toMatchObject({ fixed: true, uncounted: 3, differences: [{ key: KEY, kept: stats(10), recomputed: stats(6) }] });
    expect(written).toEqual([[{ key: KEY, value: stats(5), modRevision: 40 }], [{ key: KEY, value: stats(6), modRevision: 41 }]]);
  });

  it('a missing stats key is written with Create==0 (revision 0); without --fix nothing is written', async () => {
    const snap: StatsSnapshot = { revision: 7, kept: new Map(), recomputed: new Map([[KEY, stats(1)]]), uncounted: 0 };
    const dry = repoWith([snap], []);
    await expect(dry.service.reconcile(false)).resolves.toMatchObject({
      fixed: false,
      differences: [{ key: KEY, kept: EMPTY_STATS }],
    });
    expect(dry.written).toEqual([]);
    const fix = repoWith([snap], [true]);
    await fix.service.reconcile(true);
    expect(fix.written).toEqual([[{ key: KEY, value: stats(1), modRevision: 0 }]]);
  });

  it('gives up with CONFLICT when the stats never hold still', async () => {
    const snap = (): StatsSnapshot => ({ revision: 1, kept: new Map(), recomputed: new Map([[KEY, stats(1)]]), uncounted: 0 });
    const { service } = repoWith(
      Array.from({ length: 20 }, snap),
      Array.from({ length: 20 }, () => false),
    );
    await expect(service.reconcile(true)).rejects.toMatchObject({ error: { code: 'CONFLICT' } });
  });

  it('a legacy stats:all (totals are summed on read now) is always a difference, and --fix deletes it guarded by its revision', async () => {
    const snap: StatsSnapshot = {
      revision: 9,
      kept: new Map([['stats:all', { value: stats(4), modRevision: 5 }]]),
      recomputed: new Map(),
      uncounted: 0,
    };
    const { service, written } = repoWith([snap], [true]);
    await expect(service.reconcile(true)).resolves.toMatchObject({ events: 0, fixed: true, differences: [{ key: 'stats:all' }] });
    expect(written).toEqual([[{ key: 'stats:all', value: null, modRevision: 5 }]]);
  });
});
