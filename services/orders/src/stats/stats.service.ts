/** Sales stats: read as kept, and reconciled against the sale: records (the source of truth). */
import { Injectable } from '@nestjs/common';
import { EMPTY_STATS, type Rpc, type RpcResult } from '@ticketcd/contracts';
import { HistoryRepository } from '../history/history.repository.js';

@Injectable()
export class StatsService {
  constructor(private readonly repo: HistoryRepository) {}

  stats(eventId?: string) {
    return this.repo.stats(eventId);
  }

  async reconcile(fix: boolean): Promise<RpcResult<typeof Rpc.orders.reconcile>> {
    const recomputed = await this.repo.recompute();
    const kept = await this.repo.keptStats();
    const differences = [];
    for (const key of new Set([...recomputed.keys(), ...kept.keys()])) {
      const a = kept.get(key) ?? EMPTY_STATS;
      const b = recomputed.get(key) ?? EMPTY_STATS;
      if (JSON.stringify(normalise(a)) !== JSON.stringify(normalise(b))) differences.push({ key, kept: a, recomputed: b });
    }
    if (fix && differences.length) await this.repo.overwriteStats(new Map(differences.map((d) => [d.key, d.recomputed])));
    return { events: recomputed.size - 1, differences, fixed: fix && differences.length > 0 };
  }
}

function normalise(s: typeof EMPTY_STATS) {
  return { revenue: s.revenue, orders: s.orders, soldByType: Object.fromEntries(Object.entries(s.soldByType).sort(([x], [y]) => x.localeCompare(y))) };
}
