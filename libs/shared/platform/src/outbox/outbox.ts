/**
 * Transactional outbox: a service writes the events of a change into `outbox:<service>:<id>`
 * in the same etcd Txn as the change itself, so a committed change always has its events on
 * record, even if the process dies right after the commit. The relay publishes them.
 * An entry holds either the envelopes themselves, or a `kind` and a small payload that a
 * registered expander turns into envelopes at relay time (e.g. "the sales of these orders",
 * which are already stored: no need to write them twice in a hot Txn).
 */
import { envelopeSchema, type EventEnvelope } from '@ticketcd/contracts';
import type { WriteOp } from '@ticketcd/etcd';
import { keys, type ServiceName } from '@ticketcd/keys';
import type { Namespace, PutBuilder } from 'etcd3';
import { ulid } from 'ulid';
import { z } from 'zod';

export const outboxEntrySchema = z.union([
  z.object({
    envelopes: z.array(envelopeSchema).min(1),
    /** Set each envelope's `data.revision` to the commit revision of the entry when relaying. */
    stampRevision: z.boolean().default(false),
  }),
  z.object({ kind: z.string().min(1), payload: z.unknown() }),
]);
export type OutboxEntry = z.input<typeof outboxEntrySchema>;

/** Turns a `kind` entry into envelopes; `revision` is the entry's commit revision. */
export type OutboxExpander = (payload: unknown, revision: number) => Promise<EventEnvelope[]>;

export interface OutboxWrite {
  key: string;
  entryId: string;
  put: PutBuilder;
  /** The same put as a plain op, for `guardedWrite` and friends. */
  op: WriteOp;
}

function put(ns: Namespace, service: ServiceName, value: OutboxEntry): OutboxWrite {
  // ULIDs: entry keys sort by creation time, so the relay publishes oldest first.
  const entryId = ulid();
  const key = keys.outbox(service, entryId);
  const json = JSON.stringify(value);
  return { key, entryId, put: ns.put(key).value(json), op: { type: 'put', key, value: json } };
}

/** A put carrying ready envelopes, to include in the Txn that makes the change. */
export function outboxPut(
  ns: Namespace,
  service: ServiceName,
  envelopes: EventEnvelope[],
  opts: { stampRevision?: boolean } = {},
): OutboxWrite {
  return put(ns, service, { envelopes, stampRevision: opts.stampRevision ?? false });
}

/** A put carrying a `kind` and payload, expanded into envelopes by the relay. */
export function outboxKindPut(ns: Namespace, service: ServiceName, kind: string, payload: unknown): OutboxWrite {
  return put(ns, service, { kind, payload });
}
