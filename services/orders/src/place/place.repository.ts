/** `order:` keys: the claim an idempotency key makes on one order; and the order's call to inventory. */
import { Inject, Injectable } from '@nestjs/common';
import { orderClaimRecord, Rpc, type OrderClaimRecord, type RpcRequest, type RpcResult } from '@ticketcd/contracts';
import { createManyOnce, type EtcdConnection } from '@ticketcd/etcd';
import { keys } from '@ticketcd/keys';
import { ETCD } from '@ticketcd/platform';
import { InventoryRouter } from './inventory.router.js';

export interface ClaimRequest {
  username: string;
  orderId: string;
  claim: OrderClaimRecord;
}

@Injectable()
export class PlaceRepository {
  constructor(
    @Inject(ETCD) private readonly etcd: EtcdConnection,
    private readonly router: InventoryRouter,
  ) {}

  /** Asks inventory to sell the order: on its event's partition, resent if the instance that got it died (InventoryRouter). */
  purchase(order: RpcRequest<typeof Rpc.inventory.purchase>, timeoutMs: number): Promise<RpcResult<typeof Rpc.inventory.purchase>> {
    return this.router.purchase(order, timeoutMs);
  }

  /**
   * Deletes a claim if it still holds exactly this request's value (never another's) and no sale
   * of the order exists, in one Txn: a retry of the same key may have sold the order meanwhile
   * (the refusal was decided before it), and without its claim the key would then sell again on
   * another event (issue 25.4, invariant 3). Best effort: a claim left behind only binds its key
   * to an order that sold nothing, or to the sale it made.
   */
  async releaseClaim(r: ClaimRequest): Promise<void> {
    const key = keys.order(r.username, r.orderId);
    await this.etcd.kv
      .if(key, 'Value', '==', JSON.stringify(r.claim))
      .and(keys.sale(r.claim.eventId, r.orderId), 'Create', '==', 0)
      .then(this.etcd.kv.delete().key(key))
      .options(this.etcd.deadline())
      .commit()
      .catch(() => undefined);
  }

  /**
   * Creates each claim whose key has none and reads back the ones that have, in one Txn when none
   * exists yet (the usual case). Concurrent claims (any instance) are serialised by Create==0, and
   * a replayed Txn finds its own claims. Returns the claim in force per order key: ours, or the first.
   */
  async claimMany(requests: readonly ClaimRequest[], deadline?: Date): Promise<Map<string, OrderClaimRecord>> {
    const keyOf = (r: ClaimRequest) => keys.order(r.username, r.orderId);
    const results = await createManyOnce(
      this.etcd.kv,
      requests.map((r) => ({ key: keyOf(r), value: JSON.stringify(r.claim) })),
      { deadline },
    );
    // A claim this Txn created is the first request's of its key, as written: only another's is parsed from the store.
    const written = new Map<string, OrderClaimRecord>();
    for (const r of requests) if (!written.has(keyOf(r))) written.set(keyOf(r), r.claim);
    return new Map(
      requests.map((r) => {
        const got = results.get(keyOf(r))!;
        return [keyOf(r), got.created ? written.get(keyOf(r))! : orderClaimRecord.parse(JSON.parse(got.value))];
      }),
    );
  }
}
