import { baseServiceConfig, env } from '@ticketcd/config';
import type { z } from 'zod';

export const notifierConfig = baseServiceConfig.extend({
  /** How long a delivered stock change may stay unacked before JetStream redelivers it (a crashed instance's work). */
  NOTIFIER_ACK_WAIT_MS: env.int(1000, 600_000).default(30_000),
  /** Lease of the partitions of events this instance evaluates (issue 25): a dead instance's go to the others after it. */
  PARTITION_LEASE_TTL_S: env.int(2, 60).default(5),
  /** How long an instance waits for the owner of an event's partition to evaluate forwarded stock changes (then: retried later). */
  NOTIFIER_FORWARD_TIMEOUT_MS: env.int(100, 120_000).default(10_000),
});
export type NotifierConfig = z.output<typeof notifierConfig>;
export const NOTIFIER_CONFIG = Symbol('notifier-config');
