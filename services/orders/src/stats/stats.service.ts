/**
 * Sales stats: read as kept, and reconciled against the sale: records (the source of truth).
 * Reconcile is correct while the history consumer lags: it recomputes only from the sales the
 * consumer has counted (their purchase: key exists), read at one revision with the stats keys,
 * and writes guarded by those keys' mod revisions, so it never counts a sale the consumer is
 * about to count, and never overwrites a count made after its read.
 */
import { Injectable } from '@nestjs/common';
import { AppError, EMPTY_STATS, type Rpc, type RpcResult } from '@ticketcd/contracts';
import { CONFLICT, retryOnConflict } from '@ticketcd/etcd';
import { keys } from '@ticketcd/keys';
import { HistoryRepository } from '../history/history.repository.js';

/** Stats keys move on every counted sale: under heavy selling, give up and say so. */
const MAX_ATTEMPTS = 20;

@Injectable()
export class StatsService {
  constructor(private readonly repo: HistoryRepository) {}

  stats(eventId?: string) {
    return this.repo.stats(eventId);
  }

  async statsByEvent() {
    return { items: await this.repo.statsByEvent() };
  }

  async reconcile(fix: boolean): Promise<RpcResult<typeof Rpc.orders.reconcile>> {
    const onExhausted = () =>
      AppError.conflict(`stats kept changing under reconcile (${MAX_ATTEMPTS} attempts): run it again when sales are quieter`);
    return retryOnConflict({ attempts: MAX_ATTEMPTS, what: 'reconcile', onExhausted }, async () => {
      const { kept, recomputed, uncounted } = await this.repo.statsSnapshot();
      const differences = [];
      const writes = [];
      for (const key of new Set([...recomputed.keys(), ...kept.keys()])) {
        const a = kept.get(key);
        const b = recomputed.get(key) ?? EMPTY_STATS;
        // The legacy global key (no longer kept: totals are summed on read) is always a difference, fixed by deleting it.
        const legacy = key === keys.statsAll();
        if (!legacy && JSON.stringify(normalise(a?.value ?? EMPTY_STATS)) === JSON.stringify(normalise(b))) continue;
        differences.push({ key, kept: a?.value ?? EMPTY_STATS, recomputed: b });
        writes.push({ key, value: legacy ? null : b, modRevision: a?.modRevision ?? 0 });
      }
      const report = { events: recomputed.size, differences, uncounted };
      if (!fix || writes.length === 0) return { ...report, fixed: false };
      return (await this.repo.writeStatsGuarded(writes)) ? { ...report, fixed: true } : CONFLICT;
    });
  }
}

function normalise(s: typeof EMPTY_STATS) {
  return {
    revenue: s.revenue,
    orders: s.orders,
    soldByType: Object.fromEntries(Object.entries(s.soldByType).sort(([x], [y]) => x.localeCompare(y))),
  };
}
