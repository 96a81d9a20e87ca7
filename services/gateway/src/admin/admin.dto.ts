/** Admin route inputs and replies, as zod schemas (they validate the input and document both). */
import { id, type HistoryReply } from '@ticketcd/contracts';
import { z } from 'zod';

export const statsQuery = z.object({ eventId: id.optional().describe('One event; without it, the totals over all events.') });

export const historyQuery = z.object({
  key: z
    .string()
    .min(1, 'must not be empty')
    .max(1000)
    .describe('A key of the schema, e.g. event:01JD6Z8Q1V6N4X2K7T3R5M9B0C (no user: or session: keys).'),
  limit: z.coerce.number<string>().int('must be a whole number').min(1).max(100).default(20).describe('At most this many past values.'),
  revision: z.coerce
    .number<string>()
    .int('must be a whole number')
    .positive()
    .optional()
    .describe('Walk back from this store revision instead of the present (continue with `nextRevision`, or look past a deletion).'),
});

const member = z.object({
  id: z.string().describe('Member id (decimal).'),
  name: z.string(),
  clientUrls: z.array(z.string()),
  reachable: z.boolean(),
  isLeader: z.boolean(),
  raftTerm: z.number().int().optional(),
  raftIndex: z.number().int().optional(),
  dbSizeBytes: z.number().int().optional(),
  version: z.string().optional(),
  error: z.string().optional().describe('Why the member did not answer.'),
});
export const instance = z.object({
  service: z.string(),
  instanceId: z.string(),
  host: z.string().optional(),
  pid: z.number().int().optional(),
  httpPort: z.number().int().optional(),
  startedAt: z.string().optional(),
  version: z.string().optional(),
});

export const clusterReply = z.object({
  members: z.array(member),
  leaderId: z.string().nullable(),
  quotaBytes: z
    .number()
    .int()
    .describe("etcd's backend quota (ETCD_QUOTA_BYTES, as etcd is started with): a member's db size may grow to it, then NOSPACE."),
  quorum: z.boolean().describe('A leader and a majority of members reachable: the store can serve reads and writes.'),
  alarms: z.array(z.object({ memberId: z.string(), alarm: z.string().describe('NOSPACE or CORRUPT.') })),
  alarmsError: z.string().optional().describe('Why alarms could not be read (they need a quorum).'),
  services: z
    .array(z.object({ service: z.string(), instances: z.array(instance) }))
    .nullable()
    .describe('Live instances per service (from svc: keys); null when they could not be read.'),
  servicesError: z.string().optional(),
});
export type ClusterReply = z.output<typeof clusterReply>;

// The key history's reply is the owning service's (`<service>.keys.history`, issue 26.3): one schema.
export { historyReply, type HistoryEntry, type HistoryReply } from '@ticketcd/contracts';

export const HISTORY_EXAMPLE: HistoryReply = {
  key: 'event:01JD6Z8Q1V6N4X2K7T3R5M9B0C',
  kind: 'event',
  readAt: 1042,
  items: [
    {
      revision: 1040,
      version: 2,
      createRevision: 311,
      modTime: '2026-05-02T10:00:00.000Z',
      value: { name: 'Rock in the Park (2 nights)', version: 2 },
    },
    {
      revision: 311,
      version: 1,
      createRevision: 311,
      modTime: '2026-05-01T09:00:00.000Z',
      value: { name: 'Rock in the Park', version: 1 },
    },
  ],
  compacted: false,
  nextRevision: null,
};
