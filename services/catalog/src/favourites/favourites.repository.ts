/** `favourite:<username>:<eventId>`: one key per pair, so concurrent adds never lose each other. */
import { Inject, Injectable } from '@nestjs/common';
import { CONFLICT, listPrefix, retryOnConflict, toStoreError, unconditionalTxn, type EtcdConnection } from '@ticketcd/etcd';
import { keys, parseKey, prefixes } from '@ticketcd/keys';
import { ETCD } from '@ticketcd/platform';

@Injectable()
export class FavouritesRepository {
  constructor(@Inject(ETCD) private readonly etcd: EtcdConnection) {}

  /**
   * Adds (or removes) the pair and moves the event's count in one Txn: the pair key's existence
   * guards the count, so repeating an add or a remove changes nothing.
   */
  async set(username: string, eventId: string, favourite: boolean): Promise<void> {
    const ns = this.etcd.kv;
    const pair = keys.favourite(username, eventId);
    const counter = keys.favouriteCount(eventId);
    await retryOnConflict({ attempts: 50, what: `favourites of ${eventId}` }, async () => {
      try {
        const [p, c] = (await unconditionalTxn(ns).then(ns.get(pair), ns.get(counter)).commit()).responses.map(
          (r) => r.response_range.kvs[0],
        );
        if (Boolean(p) === favourite) return;
        const count = Number(c?.value.toString() ?? 0) + (favourite ? 1 : -1);
        const pairGuard = ns.if(pair, 'Version', favourite ? '==' : '>', 0);
        const guarded = c ? pairGuard.and(counter, 'Mod', '==', Number(c.mod_revision)) : pairGuard.and(counter, 'Create', '==', 0);
        const change = favourite ? ns.put(pair).value(JSON.stringify({ at: new Date().toISOString() })) : ns.delete().key(pair);
        if (!(await guarded.then(change, ns.put(counter).value(String(Math.max(0, count)))).commit()).succeeded) return CONFLICT;
      } catch (e) {
        throw toStoreError(e, 'favourite change');
      }
    });
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
