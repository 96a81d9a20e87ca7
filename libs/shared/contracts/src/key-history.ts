/**
 * The admin key history (issue 26.3): a key's past values, walked back through etcd's MVCC
 * store by the service that owns the key's prefix, asked over NATS by the gateway's admin route
 * (`GET /api/admin/keys/history`). The gateway's own etcd user reads no other service's keys.
 */
import { z } from 'zod';

export const keyHistoryRequest = z.object({
  key: z.string().min(1, 'must not be empty').max(1000),
  limit: z.number().int('must be a whole number').min(1).max(100).default(20),
  revision: z.number().int('must be a whole number').positive().optional(),
});

export const historyEntry = z.object({
  revision: z.number().int().describe('The store revision that wrote this value (the mod revision).'),
  version: z.number().int().describe("The key's version: 1 when it was created."),
  createRevision: z.number().int(),
  modTime: z
    .string()
    .optional()
    .describe('etcd keeps no time: taken from the value (updatedAt, at, createdAt, startedAt) when it has one.'),
  value: z.unknown().describe('The value, JSON-parsed when it is JSON, else the string.'),
  deleted: z.literal(true).optional().describe('The record is marked deleted (deletedAt) in this value.'),
});
export type HistoryEntry = z.output<typeof historyEntry>;

export const historyReply = z.object({
  key: z.string(),
  kind: z.string().describe('What the key holds (event, ticket, stats, ...).'),
  readAt: z.number().int().describe('The store revision the walk started from.'),
  items: z.array(historyEntry).describe('Newest first.'),
  compacted: z.boolean().describe('The walk stopped at a compacted revision: older values are gone.'),
  nextRevision: z.number().int().nullable().describe('More values may be older: pass this as `revision` to continue.'),
});
export type HistoryReply = z.output<typeof historyReply>;
