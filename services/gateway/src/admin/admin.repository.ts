/** The admin pages' etcd reads: cluster status, a key at a past revision, whether an event exists. */
import { Inject, Injectable } from '@nestjs/common';
import { clusterStatus, type ClusterStatus, type EtcdConnection } from '@ticketcd/etcd';
import { keys } from '@ticketcd/keys';
import { ETCD } from '@ticketcd/platform';

/** Cluster calls get this deadline each, so a dead store answers 503 in about a second. */
export const CLUSTER_DEADLINE_MS = 1000;

export interface KeyRevision {
  modRevision: number;
  createRevision: number;
  version: number;
  value: string;
}

export type KeyAt =
  | { state: 'present'; headerRevision: number; kv: KeyRevision }
  | { state: 'absent'; headerRevision: number }
  /** The revision asked for was compacted away. */
  | { state: 'compacted' }
  /** The revision asked for is newer than the store's. */
  | { state: 'future' };

const COMPACTED = /required revision has been compacted/;
const FUTURE = /required revision is a future revision/;

@Injectable()
export class AdminRepository {
  constructor(@Inject(ETCD) private readonly etcd: EtcdConnection) {}

  cluster(): Promise<ClusterStatus> {
    return clusterStatus(this.etcd, CLUSTER_DEADLINE_MS);
  }

  /** True if the event key exists (deleted events stay, marked deletedAt). */
  async eventExists(eventId: string): Promise<boolean> {
    const res = await this.etcd.kv.get(keys.event(eventId)).exec();
    return res.kvs.length > 0;
  }

  /** The key as it was at `revision` (the present when omitted). */
  async keyAt(key: string, revision?: number): Promise<KeyAt> {
    const q = this.etcd.kv.get(key);
    if (revision !== undefined) q.revision(revision);
    try {
      const res = await q.exec();
      const headerRevision = Number(res.header.revision);
      const kv = res.kvs[0];
      if (!kv) return { state: 'absent', headerRevision };
      return {
        state: 'present',
        headerRevision,
        kv: {
          modRevision: Number(kv.mod_revision),
          createRevision: Number(kv.create_revision),
          version: Number(kv.version),
          value: kv.value.toString(),
        },
      };
    } catch (e) {
      const message = (e as Error).message;
      if (COMPACTED.test(message)) return { state: 'compacted' };
      if (FUTURE.test(message)) return { state: 'future' };
      throw e;
    }
  }
}
