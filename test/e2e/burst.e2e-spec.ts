/**
 * Issue 27, CI size: the on-sale burst (libs/testing/src/burst.ts, the code `npm run bench:burst`
 * runs) with 30 accounts sending 300 orders at once at 100 tickets, in the deployed shape. Guards
 * the benchmark's judge on a real stack and invariant 1 under a burst: 0 oversold, every 201 a
 * sale, remaining = total - sold, and (classification only, no timing) every reply a 201 or a
 * 409 SOLD_OUT.
 */
import { CI_BURST, formatBurst, runBurst } from '@ticketcd/testing';

it('a burst of 300 orders at 100 tickets oversells nothing and every reply is a 201 or a 409 SOLD_OUT', async () => {
  const result = await runBurst(CI_BURST);
  process.stdout.write(formatBurst(result));
  expect(result.checks.filter((c) => !c.ok)).toEqual([]);
  expect([...result.figures.byLabel.keys()].sort()).toEqual(['201', '409 SOLD_OUT']);
  expect(result.figures.oversold).toBe(0);
  // 750 tickets asked for 100: the event sold out, so both kinds of answer were seen and checked.
  expect(result.figures.soldInStore).toBeGreaterThan(90);
  expect(result.figures.soldOut).toBeGreaterThan(0);
}, 170_000);
