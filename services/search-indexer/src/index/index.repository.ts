/** `search:` keys: the meta guard of one event, guarded writes, and consistent snapshots for verify. */
import { Inject, Injectable } from '@nestjs/common';
import { eventRecord, type EventRecord } from '@ticketcd/contracts';
import {
  guardedWrite,
  scanPrefix,
  unconditionalTxn,
  writeInChunks,
  toStoreError,
  type EtcdConnection,
  type KeyGuard,
  type WriteOp,
} from '@ticketcd/etcd';
import { keys, parseKey, prefixes } from '@ticketcd/keys';
import { ETCD } from '@ticketcd/platform';
import { decodeMeta, type IndexMeta } from '@ticketcd/search-text';

export interface StoredMeta {
  meta: IndexMeta;
  modRevision: number;
}

export interface IndexSnapshot {
  revision: number;
  /** Every event: record (deleted ones too: their index is a tombstone meta). */
  events: Map<string, EventRecord>;
  /** Every search: key as stored, with its mod revision. */
  live: Map<string, { value: string; modRevision: number }>;
}

/** A meta that does not decode is repaired like one that lists nothing and is mid-change. */
function decodeOrBlank(value: string): IndexMeta {
  try {
    return decodeMeta(value);
  } catch {
    return { v: 0, deleted: false, fields: null, postings: {}, pending: { v: 0 } };
  }
}

@Injectable()
export class IndexRepository {
  constructor(@Inject(ETCD) private readonly etcd: EtcdConnection) {}

  async readMeta(eventId: string): Promise<StoredMeta | null> {
    try {
      const res = await this.etcd.kv.get(keys.searchMeta(eventId)).exec();
      const kv = res.kvs[0];
      return kv ? { meta: decodeMeta(kv.value.toString()), modRevision: Number(kv.mod_revision) } : null;
    } catch (e) {
      throw toStoreError(e, 'reading index meta');
    }
  }

  /** An event's record and its index meta read at one revision (for a repair). */
  async readForRepair(eventId: string): Promise<{ record: EventRecord | null; meta: StoredMeta | null }> {
    const ns = this.etcd.kv;
    try {
      const res = await unconditionalTxn(ns)
        .then(ns.get(keys.event(eventId)), ns.get(keys.searchMeta(eventId)))
        .commit();
      const [e, m] = res.responses.map((r) => r.response_range.kvs[0]);
      return {
        record: e ? eventRecord.parse(JSON.parse(e.value.toString())) : null,
        meta: m ? { meta: decodeOrBlank(m.value.toString()), modRevision: Number(m.mod_revision) } : null,
      };
    } catch (e) {
      throw toStoreError(e, 'reading an event and its index meta');
    }
  }

  /** The event's meta guards every write of its postings (0: the meta must not exist yet). */
  write(eventId: string, metaModRevision: number, ops: WriteOp[]) {
    const guard: KeyGuard = { key: keys.searchMeta(eventId), modRevision: metaModRevision };
    return guardedWrite(this.etcd.kv, guard, ops, `indexing event ${eventId}`);
  }

  /** Keys under search: that are not the schema's (no event to guard them): deleted as they are. */
  async deleteUnguarded(keysToDelete: string[]): Promise<void> {
    await writeInChunks(
      this.etcd.kv,
      keysToDelete.map((key) => ({ type: 'delete' as const, key })),
    );
  }

  /** Events and index read at one revision, so a comparison of the two is exact. */
  async snapshot(): Promise<IndexSnapshot> {
    let revision: number;
    try {
      revision = Number((await this.etcd.kv.get(prefixes.events()).exec()).header.revision);
    } catch (e) {
      throw toStoreError(e, 'reading the store revision');
    }
    const events = new Map<string, EventRecord>();
    for await (const kv of scanPrefix(this.etcd.kv, prefixes.events(), 1000, revision)) {
      const k = parseKey(kv.key);
      if (k.kind === 'event') events.set(k.eventId, eventRecord.parse(JSON.parse(kv.value)));
    }
    const live = new Map<string, { value: string; modRevision: number }>();
    for await (const kv of scanPrefix(this.etcd.kv, prefixes.search(), 5000, revision))
      live.set(kv.key, { value: kv.value, modRevision: kv.modRevision });
    return { revision, events, live };
  }
}
