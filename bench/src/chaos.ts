/**
 * npm run chaos [-- --seconds 60 --buyers 500 --users 100 --subscriptions 1000]: the chaos on-sale
 * (issue 18.1) on a private stack on 127.0.0.1; prints the fault table and the checks, exits 1 on a
 * failed check. The CI-sized run of the same code is test/e2e/chaos.e2e-spec.ts.
 */
import { FULL_CHAOS, formatChaos, runChaos } from '@ticketcd/testing';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: String(FULL_CHAOS.seconds) },
    buyers: { type: 'string', default: String(FULL_CHAOS.buyers) },
    users: { type: 'string', default: String(FULL_CHAOS.users) },
    subscriptions: { type: 'string', default: String(FULL_CHAOS.subscriptions) },
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
const seconds = num('seconds', values.seconds);
const result = await runChaos({
  ...FULL_CHAOS,
  seconds,
  buyers: num('buyers', values.buyers),
  users: num('users', values.users),
  subscriptions: num('subscriptions', values.subscriptions),
  // The second member goes down 10 s after the leader, or sooner in a short run.
  secondMemberGapS: Math.min(FULL_CHAOS.secondMemberGapS, seconds / 6),
  log: (line) => process.stderr.write(`chaos: ${line}\n`),
});
process.stdout.write(`\nchaos on-sale, ${new Date().toISOString()}\n${formatChaos(result)}`);
process.exitCode = result.ok ? 0 : 1;
