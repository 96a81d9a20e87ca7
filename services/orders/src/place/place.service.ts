/**
 * orders.place: the order id comes from (username, idempotencyKey), and the key is bound to the
 * first order it named (event and lines) before inventory is asked. A repeat of that order asks
 * inventory again with the same id (its sale: key replays the first reply, or a refused order is
 * decided again); the key for any other order is CONFLICT and sells nothing.
 */
import { Injectable } from '@nestjs/common';
import { Rpc, type OrderClaimRecord, type RpcRequest, type RpcResult } from '@ticketcd/contracts';
import { GroupCommitter, resendGuarded, type Queued } from '@ticketcd/etcd';
import { keys } from '@ticketcd/keys';
import { currentDeadline } from '@ticketcd/observability';
import { DependencyProbe } from '@ticketcd/platform';
import { claimOf, deriveOrderId, keyReused, sameOrder } from '@ticketcd/contracts';
import { PlaceRepository, type ClaimRequest } from './place.repository.js';

/**
 * Claims are group-committed: one Txn per claim capped this at etcd's rate of small Txns (in
 * bench/order-claim, 5-7x below the inventory core's). Up to 100 per Txn (etcd takes 128 compares),
 * in CLAIM_SHARDS queues by order id, so a few Txns are in flight and repeats of one key meet in
 * one queue.
 */
const CLAIM_BATCH_MAX = 100;
const CLAIM_SHARDS = 4;
/** One claim send's deadline: short, so a send stuck on a leaderless member is resent soon after the election. */
const CLAIM_ATTEMPT_MS = 700;
/** The most an order may take here, whatever the caller's budget: enough to ride out an etcd election. */
const MAX_ORDER_MS = 5000;
/**
 * Kept for inventory after the claim. An election is ridden through once: if the claim waited
 * one out, inventory finds the new leader in place and commits in milliseconds.
 */
const INVENTORY_SHARE_MS = 500;

type PendingClaim = ClaimRequest & { deadlineAt: number };

/** Refusals of an order that could never sell as sent (a 400 or 404), unlike sold out or a deleted event. */
const BAD_INPUT = new Set(['unknown_event', 'unknown_type', 'over_max_per_order', 'invalid_quantity']);

@Injectable()
export class PlaceService {
  private readonly claims = new GroupCommitter<PendingClaim, OrderClaimRecord>(CLAIM_BATCH_MAX, (_shard, batch) => this.claimBatch(batch));

  constructor(
    private readonly repo: PlaceRepository,
    private readonly probe: DependencyProbe,
  ) {}

  async place(req: RpcRequest<typeof Rpc.orders.place>): Promise<RpcResult<typeof Rpc.orders.place>> {
    const orderId = deriveOrderId(req.username, req.idempotencyKey);
    const shard = String(parseInt(orderId.slice(0, 2), 16) % CLAIM_SHARDS);
    const budgetEnd = Math.min(currentDeadline() ?? Infinity, Date.now() + MAX_ORDER_MS);
    const claim = { username: req.username, orderId, claim: claimOf(req, new Date()), deadlineAt: budgetEnd - INVENTORY_SHARE_MS };
    const first = await this.claims.submit(shard, claim);
    if (!sameOrder(first, req)) throw keyReused(orderId, first);
    // Inventory gets all the time left (not just RPC_TIMEOUT_MS): it too may wait out an election.
    // Our own claim object back means this request created the claim: no earlier send of the
    // order exists, so a sold-out refusal needs no look for its sale (issue 17 point 6).
    const firstSend = first === claim.claim;
    const outcome = await this.repo.purchase(
      { orderId, username: req.username, eventId: req.eventId, lines: req.lines, firstSend },
      Math.max(1, budgetEnd - Date.now()),
    );
    // A sale made before its key had a claim (data older than claims) may be another order.
    if (outcome.status === 'accepted' && !sameOrder(outcome, req)) throw keyReused(orderId, outcome);
    // Bad input (issue 18.3) changes no key: the claim this request wrote goes again, unless a
    // retry of the key sold the order meanwhile (the release checks, issue 25.4).
    if (outcome.status === 'refused' && firstSend && BAD_INPUT.has(outcome.reason)) await this.repo.releaseClaim(claim);
    return outcome;
  }

  /**
   * One Txn for the batch; repeats of a key in it all get the claim in force (the first one's, or
   * an older one). The Txn is Create==0 with read-back, so it is resent through an etcd leader
   * election: a send that did commit is found by the next one as our own claim.
   */
  private async claimBatch(batch: Queued<PendingClaim, OrderClaimRecord>[]): Promise<void> {
    const deadlineAt = Math.max(...batch.map((b) => b.order.deadlineAt));
    // Quorum known lost (issue 25.1): no resend can succeed, answer now rather than at the deadline.
    const stopIf = () => this.probe.etcdQuorumLost;
    const inForce = await resendGuarded({ deadlineAt, attemptMs: CLAIM_ATTEMPT_MS, stopIf }, (deadline) =>
      this.repo.claimMany(
        batch.map((b) => b.order),
        deadline,
      ),
    );
    for (const b of batch) b.resolve(inForce.get(keys.order(b.order.username, b.order.orderId))!);
  }
}
