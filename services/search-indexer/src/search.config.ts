import { baseServiceConfig, env } from '@ticketcd/config';
import type { z } from 'zod';

export const searchConfig = baseServiceConfig.extend({
  /** How long a delivered catalog event may stay unacked before JetStream redelivers it (a crashed instance's work). */
  SEARCH_ACK_WAIT_MS: env.int(1000, 600_000).default(30_000),
  /** Catalog changes indexed at once by one instance. */
  SEARCH_CONCURRENCY: env.int(1, 256).default(32),
  /** Events repaired at once by a rebuild. */
  SEARCH_REBUILD_CONCURRENCY: env.int(1, 64).default(8),
});
export type SearchConfig = z.output<typeof searchConfig>;
export const SEARCH_CONFIG = Symbol('search-config');
