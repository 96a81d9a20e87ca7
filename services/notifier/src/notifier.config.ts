import { baseServiceConfig, env } from '@ticketcd/config';
import type { z } from 'zod';

export const notifierConfig = baseServiceConfig.extend({
  /** How long a delivered stock change may stay unacked before JetStream redelivers it (a crashed instance's work). */
  NOTIFIER_ACK_WAIT_MS: env.int(1000, 600_000).default(30_000),
});
export type NotifierConfig = z.output<typeof notifierConfig>;
export const NOTIFIER_CONFIG = Symbol('notifier-config');
