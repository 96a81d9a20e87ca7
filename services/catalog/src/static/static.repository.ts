/** `static:` lists: JSON arrays of slugs, each changed with a compare on its mod revision. */
import { Inject, Injectable } from '@nestjs/common';
import { slug } from '@ticketcd/contracts';
import { createOnce, listPrefix, toStoreError, type EtcdConnection } from '@ticketcd/etcd';
import { keys, STATIC_LISTS, type StaticListName } from '@ticketcd/keys';
import { ETCD } from '@ticketcd/platform';
import { z } from 'zod';

const listValue = z.array(slug);

export interface StoredList {
  values: string[];
  modRevision: number;
}

@Injectable()
export class StaticRepository {
  constructor(@Inject(ETCD) private readonly etcd: EtcdConnection) {}

  async readAll(): Promise<Record<StaticListName, StoredList>> {
    // All three lists in one range read.
    const page = await listPrefix(this.etcd.kv, 'static:', { limit: STATIC_LISTS.length });
    const byKey = new Map(page.items.map((kv) => [kv.key, kv]));
    return Object.fromEntries(
      STATIC_LISTS.map((name) => {
        const kv = byKey.get(keys.staticList(name));
        return [name, kv ? { values: listValue.parse(JSON.parse(kv.value)), modRevision: kv.modRevision } : { values: [], modRevision: 0 }];
      }),
    ) as Record<StaticListName, StoredList>;
  }

  /** Writes the list if nobody wrote it since `modRevision` (0: if it does not exist). */
  async write(name: StaticListName, values: string[], modRevision: number): Promise<boolean> {
    const ns = this.etcd.kv;
    const key = keys.staticList(name);
    try {
      const guard = modRevision === 0 ? ns.if(key, 'Create', '==', 0) : ns.if(key, 'Mod', '==', modRevision);
      return (await guard.then(ns.put(key).value(JSON.stringify(values))).commit()).succeeded;
    } catch (e) {
      throw toStoreError(e, 'static list write');
    }
  }

  /** Creates a list with its defaults unless it exists (safe for many instances at once). */
  async seed(name: StaticListName, values: string[]): Promise<void> {
    await createOnce(this.etcd.kv, keys.staticList(name), JSON.stringify(values));
  }
}
