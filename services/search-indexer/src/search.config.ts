import { baseServiceConfig, env } from '@ticketcd/config';
import type { z } from 'zod';

export const searchConfig = baseServiceConfig.extend({
  /** How long a delivered catalog event may stay unacked before JetStream redelivers it (a crashed instance's work). */
  SEARCH_ACK_WAIT_MS: env.int(1000, 600_000).default(30_000),
  /** Catalog changes indexed at once by one instance. */
  SEARCH_CONCURRENCY: env.int(1, 256).default(32),
  /** Events repaired at once by a rebuild. */
  SEARCH_REBUILD_CONCURRENCY: env.int(1, 64).default(8),
  /** Posting ranges (words, word prefixes, types, locations) the query path keeps in memory; 0: none (every query reads etcd). */
  SEARCH_POSTINGS_CACHE_TERMS: env.int(0, 1_000_000).default(5000),
  /** Postings kept in memory at most, over all ranges (~100 bytes each); a larger range is read from etcd each time. */
  SEARCH_POSTINGS_CACHE_POSTINGS: env.int(1, 50_000_000).default(250_000),
  /** Result pages kept per query instance (a repeated query while the index is unchanged costs no ranking); 0: none. */
  SEARCH_PAGE_CACHE_PAGES: env.int(0, 100_000).default(1000),
  /** Backstop: the postings cache is dropped and its watch restarted this often, so no page is older even if a watch stalls. */
  SEARCH_POSTINGS_CACHE_MAX_AGE_MS: env.int(1000, 3_600_000).default(300_000),
});
export type SearchConfig = z.output<typeof searchConfig>;
export const SEARCH_CONFIG = Symbol('search-config');
