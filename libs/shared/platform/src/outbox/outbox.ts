/**
 * Transactional outbox: a service writes the events of a change into `outbox:<service>:<id>`
 * in the same etcd Txn as the change itself, so a committed change always has its events on
 * record, even if the process dies right after the commit. The relay publishes them.
 */
import { envelopeSchema, type EventEnvelope } from '@ticketcd/contracts';
import { keys, type ServiceName } from '@ticketcd/keys';
import type { Namespace, PutBuilder } from 'etcd3';
import { ulid } from 'ulid';
import { z } from 'zod';

export const outboxEntrySchema = z.object({
  envelopes: z.array(envelopeSchema).min(1),
  /** Set each envelope's `data.revision` to the commit revision of the entry when relaying. */
  stampRevision: z.boolean().default(false),
});
export type OutboxEntry = z.input<typeof outboxEntrySchema>;

export interface OutboxWrite {
  key: string;
  entryId: string;
  put: PutBuilder;
}

/** A put to include in the Txn that makes the change. Entry ids are ULIDs: keys sort by time. */
export function outboxPut(ns: Namespace, service: ServiceName, envelopes: EventEnvelope[], opts: { stampRevision?: boolean } = {}): OutboxWrite {
  const entryId = ulid();
  const key = keys.outbox(service, entryId);
  const value: OutboxEntry = { envelopes, stampRevision: opts.stampRevision ?? false };
  return { key, entryId, put: ns.put(key).value(JSON.stringify(value)) };
}
