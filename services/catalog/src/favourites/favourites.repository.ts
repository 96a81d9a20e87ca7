/** `favourite:<username>:<eventId>`: one key per pair, so concurrent adds never lose each other. */
import { Inject, Injectable } from '@nestjs/common';
import { listPrefix, toStoreError, type EtcdConnection } from '@ticketcd/etcd';
import { keys, parseKey, prefixes } from '@ticketcd/keys';
import { ETCD } from '@ticketcd/platform';

@Injectable()
export class FavouritesRepository {
  constructor(@Inject(ETCD) private readonly etcd: EtcdConnection) {}

  async add(username: string, eventId: string): Promise<void> {
    try {
      await this.etcd.kv.put(keys.favourite(username, eventId)).value(JSON.stringify({ at: new Date().toISOString() }));
    } catch (e) {
      throw toStoreError(e, 'favourite add');
    }
  }

  async remove(username: string, eventId: string): Promise<void> {
    try {
      await this.etcd.kv.delete().key(keys.favourite(username, eventId));
    } catch (e) {
      throw toStoreError(e, 'favourite remove');
    }
  }

  /** One page of a user's favourite event ids, in key order; `after` is the last key seen. */
  async page(username: string, limit: number, after: string | null): Promise<{ eventIds: string[]; next: string | null }> {
    const page = await listPrefix(this.etcd.kv, prefixes.favouritesOf(username), { limit, after });
    return {
      eventIds: page.items.flatMap((kv) => {
        const k = parseKey(kv.key);
        return k.kind === 'favourite' ? [k.eventId] : [];
      }),
      next: page.next,
    };
  }
}
