/** `order:` keys: the claim an idempotency key makes on one order. */
import { Inject, Injectable } from '@nestjs/common';
import { orderClaimRecord, type OrderClaimRecord } from '@ticketcd/contracts';
import { createManyOnce, type EtcdConnection } from '@ticketcd/etcd';
import { keys } from '@ticketcd/keys';
import { ETCD } from '@ticketcd/platform';

export interface ClaimRequest {
  username: string;
  orderId: string;
  claim: OrderClaimRecord;
}

@Injectable()
export class PlaceRepository {
  constructor(@Inject(ETCD) private readonly etcd: EtcdConnection) {}

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
    return new Map(requests.map((r) => [keyOf(r), orderClaimRecord.parse(JSON.parse(results.get(keyOf(r))!.value))]));
  }
}
