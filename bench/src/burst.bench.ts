/**
 * bench/burst (issue 27): the on-sale burst, libs/testing/src/burst.ts on a private stack in the
 * deployed shape: 300 logged-in accounts send 3,000 orders (one type, 1-4 tickets, each its own
 * Idempotency-Key) at once over HTTP at an event of 1,000 tickets, no retries. Prints p50 and p99
 * from sending to each answer (201 or 409 SOLD_OUT), the failures (429, 5xx, timeout), the CPU per
 * order by process and the checks (0 oversold); exits 1 on a failed check (not on a missed
 * timing target). The CI-sized run of the same code is test/e2e/burst.e2e-spec.ts.
 *   npm run bench:burst [-- --accounts 300 --orders 3000 --tickets 1000 --timeout-s 30 --no-warmup]
 */
import { FULL_BURST, formatBurst, runBurst } from '@ticketcd/testing';
import os from 'node:os';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    accounts: { type: 'string', default: String(FULL_BURST.accounts) },
    orders: { type: 'string', default: String(FULL_BURST.orders) },
    tickets: { type: 'string', default: String(FULL_BURST.tickets) },
    'timeout-s': { type: 'string', default: String(FULL_BURST.clientTimeoutMs / 1000) },
    /** Skip the warm-up: the burst hits cold services and uncached sessions. */
    'no-warmup': { type: 'boolean', default: false },
  },
});
const num = (name: string, v: string | undefined) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) {
    process.stderr.write(`--${name} must be a whole number >= 1, got ${JSON.stringify(v)}\n`);
    process.exit(2);
  }
  return n;
};
const result = await runBurst({
  ...FULL_BURST,
  accounts: num('accounts', values.accounts),
  orders: num('orders', values.orders),
  tickets: num('tickets', values.tickets),
  clientTimeoutMs: num('timeout-s', values['timeout-s']) * 1000,
  warmup: !values['no-warmup'],
  log: (line) => process.stderr.write(`burst: ${line}\n`),
});
process.stdout.write(
  `\nbench/burst: ${os.cpus().length} cores, load average ${os
    .loadavg()
    .map((l) => l.toFixed(1))
    .join(' ')}, ${new Date().toISOString()}\n${formatBurst(result)}`,
);
process.exitCode = result.ok ? 0 : 1;
