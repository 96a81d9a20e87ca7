/**
 * A second client that talks only to the current raft leader (issue 17). The shared client sends
 * each call to a random member, which forwards writes to the leader: one more hop, and two Txns
 * sent back to back can reach the leader in the other order. The purchase engine pipelines
 * batches of one event whose compares expect the previous batch's values, so it wants them in
 * order: over one HTTP/2 connection to the leader they are. Only a speed matter: correctness
 * still rests on the compares, and with no leader known the shared client is used.
 */
import type { Etcd3, Namespace } from 'etcd3';
import { buildEtcd3, type EtcdConnection } from './client.js';

export class LeaderPinned {
  private pinned: Etcd3 | null = null;
  private pinnedKv: Namespace | null = null;
  private discovering = false;
  private retryAt = 0;
  private closed = false;

  constructor(
    private readonly conn: EtcdConnection,
    private readonly timeoutMs = 1000,
  ) {}

  /** The leader's client when known, else the shared one (and the leader is looked up). */
  get kv(): Namespace {
    if (!this.pinnedKv) void this.discover();
    return this.pinnedKv ?? this.conn.kv;
  }

  /** After an availability failure: the leader may have moved; look it up again. */
  unpin(): void {
    const old = this.pinned;
    this.pinned = this.pinnedKv = null;
    // The shared client carries on for a while: should the leader's advertised URL be out of
    // reach from here, pinning again at once would fail every other batch.
    this.retryAt = Date.now() + 2000;
    // Calls still in flight on it end by their own deadline first.
    if (old) setTimeout(() => old.close(), this.conn.deadlineMs).unref();
  }

  close(): void {
    this.closed = true;
    this.pinned?.close();
    this.pinned = this.pinnedKv = null;
  }

  private async discover(): Promise<void> {
    if (this.discovering || this.closed || Date.now() < this.retryAt) return;
    this.discovering = true;
    try {
      const deadline = () => ({ deadline: new Date(Date.now() + this.timeoutMs) });
      const status = await this.conn.client.maintenance.status(deadline());
      const members = await this.conn.client.cluster.memberList({}, deadline());
      const leader = members.members.find((m) => String(m.ID) === String(status.leader));
      if (!leader || leader.clientURLs.length === 0 || this.closed) throw new Error('no leader');
      const client = buildEtcd3(this.conn.clientOptions, leader.clientURLs, this.conn.deadlineMs);
      this.pinned = client;
      this.pinnedKv = this.conn.namespace ? client.namespace(this.conn.namespace) : client;
    } catch {
      // No leader now (election, partition): the shared client meanwhile; look again soon.
      this.retryAt = Date.now() + 500;
    } finally {
      this.discovering = false;
    }
  }
}
