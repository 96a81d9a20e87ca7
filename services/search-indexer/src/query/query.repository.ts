/** Reads of the index for queries: posting ranges in one Txn (one revision), metas by id. */
import { Inject, Injectable } from '@nestjs/common';
import { chunk, localKey, toStoreError, unconditionalTxn, type EtcdConnection } from '@ticketcd/etcd';
import { keys } from '@ticketcd/keys';
import { ETCD } from '@ticketcd/platform';
import { decodeMeta, type IndexMeta } from '@ticketcd/search-text';

export interface RawKv {
  key: string;
  value: string;
}

@Injectable()
export class QueryRepository {
  constructor(@Inject(ETCD) private readonly etcd: EtcdConnection) {}

  /**
   * Every posting under each prefix, all at one revision. `local`: serializable ranges, which a
   * member answers without a quorum (issue 18.2: with quorum lost; may be stale).
   */
  async ranges(prefixList: string[], local = false): Promise<RawKv[][]> {
    const ns = this.etcd.kv;
    try {
      const res = await unconditionalTxn(ns)
        .then(...prefixList.map((p) => ns.getAll().prefix(p).serializable(local)))
        .commit();
      return res.responses.map((r) =>
        (r.response_range?.kvs ?? []).map((kv) => ({ key: localKey(this.etcd, kv.key), value: kv.value.toString() })),
      );
    } catch (e) {
      throw toStoreError(e, 'reading search postings');
    }
  }

  /** The index metas of these events (absent ones are left out); `local` as in ranges. */
  async metas(eventIds: string[], local = false): Promise<Map<string, IndexMeta>> {
    const ns = this.etcd.kv;
    const out = new Map<string, IndexMeta>();
    try {
      for (const ids of chunk(eventIds)) {
        const res = await unconditionalTxn(ns)
          .then(...ids.map((id) => ns.get(keys.searchMeta(id)).serializable(local)))
          .commit();
        res.responses.forEach((r, i) => {
          const kv = r.response_range?.kvs[0];
          if (kv) out.set(ids[i]!, decodeMeta(kv.value.toString()));
        });
      }
    } catch (e) {
      throw toStoreError(e, 'reading search metas');
    }
    return out;
  }
}
