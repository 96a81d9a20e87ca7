/**
 * Issue 18.1, CI size: the chaos on-sale (libs/testing/src/chaos.ts, the code `npm run chaos` runs)
 * with 28 s of load and the same faults compressed. Guards invariants 1-4 under faults: 0
 * oversold, 0 acknowledged purchases lost, stock/stats/history/search/alerts equal what the sales say.
 */
import { CI_CHAOS, formatChaos, runChaos } from '@ticketcd/testing';

it('sells out through etcd, inventory, NATS, indexer and notifier faults and loses nothing', async () => {
  const result = await runChaos(CI_CHAOS);
  process.stdout.write(formatChaos(result));
  expect(result.checks.filter((c) => !c.ok)).toEqual([]);
}, 170_000);
