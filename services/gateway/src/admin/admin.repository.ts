/**
 * The admin pages' etcd reads: the cluster status only. Keys of other services (an event's
 * existence, a key's history) are asked of their owners over NATS (issue 26.3): the gateway's
 * etcd user reads no other service's namespace.
 */
import { Inject, Injectable } from '@nestjs/common';
import { clusterStatus, type ClusterStatus, type EtcdConnection } from '@ticketcd/etcd';
import { ETCD } from '@ticketcd/platform';

/** Cluster calls get this deadline each, so a dead store answers 503 in about a second. */
export const CLUSTER_DEADLINE_MS = 1000;

@Injectable()
export class AdminRepository {
  constructor(@Inject(ETCD) private readonly etcd: EtcdConnection) {}

  cluster(): Promise<ClusterStatus> {
    return clusterStatus(this.etcd, CLUSTER_DEADLINE_MS);
  }
}
