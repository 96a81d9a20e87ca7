/** `order:` keys: the claim an idempotency key makes on one order. */
import { Inject, Injectable } from '@nestjs/common';
import { orderClaimRecord, type OrderClaimRecord } from '@ticketcd/contracts';
import { createOnce, type EtcdConnection } from '@ticketcd/etcd';
import { keys } from '@ticketcd/keys';
import { ETCD } from '@ticketcd/platform';

@Injectable()
export class PlaceRepository {
  constructor(@Inject(ETCD) private readonly etcd: EtcdConnection) {}

  /**
   * Creates the claim if the key has none, else reads the one it has, in one Txn. Concurrent
   * claims (any instance) are serialised by Create==0, and a replayed Txn finds its own claim.
   * Returns the claim in force: ours, or the first one.
   */
  async claim(username: string, orderId: string, claim: OrderClaimRecord): Promise<OrderClaimRecord> {
    const res = await createOnce(this.etcd.kv, keys.order(username, orderId), JSON.stringify(claim));
    return res.created ? claim : orderClaimRecord.parse(JSON.parse(res.existing!));
  }
}
