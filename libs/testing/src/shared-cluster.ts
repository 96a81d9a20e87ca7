/**
 * The cluster the integration and e2e tiers share: five etcd members and one nats-server -js,
 * started once per jest run by global-setup on random free ports in a temp dir. Each test file
 * works under its own etcd namespace and its own stream/subject names, and cleans up.
 */
import { createEtcdConnection, type EtcdConnection } from '@ticketcd/etcd';
import { ulid } from 'ulid';

export const ENV_ETCD = 'TICKETCD_TEST_ETCD_ENDPOINTS';
export const ENV_NATS = 'TICKETCD_TEST_NATS_URL';

export interface SharedCluster {
  etcdEndpoints: string[];
  natsUrl: string;
}

export function sharedCluster(): SharedCluster {
  const etcd = process.env[ENV_ETCD];
  const nats = process.env[ENV_NATS];
  if (!etcd || !nats)
    throw new Error(
      `${ENV_ETCD} / ${ENV_NATS} not set: run integration tests through jest's integration or e2e project (global setup starts the cluster)`,
    );
  return { etcdEndpoints: etcd.split(','), natsUrl: nats };
}

/** A fresh namespace for one test file, e.g. `t-01J…:`. */
export function uniqueNamespace(label = 't'): string {
  return `${label}-${ulid().toLowerCase()}:`;
}

export interface TestEtcd {
  conn: EtcdConnection;
  namespace: string;
  /** Deletes every key under the namespace and closes the client. */
  cleanup(): Promise<void>;
}

export function testEtcd(opts: { deadlineMs?: number; label?: string } = {}): TestEtcd {
  const namespace = uniqueNamespace(opts.label);
  const conn = createEtcdConnection({ endpoints: sharedCluster().etcdEndpoints, namespace, deadlineMs: opts.deadlineMs ?? 3000 });
  return {
    conn,
    namespace,
    cleanup: async () => {
      try {
        await conn.kv.delete().all();
      } finally {
        conn.close();
      }
    },
  };
}
