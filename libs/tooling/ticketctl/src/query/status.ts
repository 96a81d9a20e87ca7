/**
 * `status`: what the cluster looks like now. Every part has a short deadline and fails on its own:
 * members down show as DOWN, a lost quorum leaves the svc: keys and alarms unreadable (said so),
 * an unreachable NATS is reported, never a hang.
 */
import { clusterStatus, scanPrefix, type ClusterStatus, type EtcdConnection } from '@ticketcd/etcd';
import { parseKey, prefixes } from '@ticketcd/keys';
import { connect as connectNats } from '@nats-io/transport-node';

export interface ServiceInstance {
  service: string;
  instanceId: string;
  port: number | null;
  pid: number | null;
  host: string | null;
  since: string | null;
}

export interface StatusReport {
  etcd: ClusterStatus & { memberListError?: string };
  services: { instances: ServiceInstance[]; perService: Record<string, number>; error?: string };
  nats: { url: string; ok: boolean; version?: string; error?: string };
}

const firstLine = (e: unknown) => String((e as Error)?.message ?? e).split('\n')[0]!;

/** The live service instances from their leased `svc:` keys (a key per running instance). */
export async function serviceInstances(conn: EtcdConnection): Promise<ServiceInstance[]> {
  const out: ServiceInstance[] = [];
  for await (const kv of scanPrefix(conn.kv, prefixes.svc())) {
    let k;
    try {
      k = parseKey(kv.key);
    } catch {
      continue; // not an instance key: not ours to show here
    }
    if (k.kind !== 'svc') continue;
    let v: Record<string, unknown> = {};
    try {
      v = JSON.parse(kv.value) as Record<string, unknown>;
    } catch {
      // a value we cannot read still names a live instance
    }
    const num = (x: unknown) => (typeof x === 'number' ? x : null);
    const str = (x: unknown) => (typeof x === 'string' ? x : null);
    out.push({
      service: k.service,
      instanceId: k.instanceId,
      port: num(v.httpPort),
      pid: num(v.pid),
      host: str(v.host),
      since: str(v.startedAt),
    });
  }
  return out;
}

export async function natsStatus(url: string, timeoutMs: number): Promise<StatusReport['nats']> {
  try {
    const nc = await connectNats({ servers: url, timeout: timeoutMs, reconnect: false, maxReconnectAttempts: 0, name: 'ticketctl-status' });
    const version = nc.info?.version;
    await nc.close().catch(() => undefined);
    return { url, ok: true, ...(version ? { version } : {}) };
  } catch (e) {
    return { url, ok: false, error: firstLine(e) };
  }
}

export async function gatherStatus(conn: EtcdConnection, natsUrl: string, timeoutMs: number): Promise<StatusReport> {
  const nats = natsStatus(natsUrl, timeoutMs);
  const etcd: Promise<StatusReport['etcd']> = clusterStatus(conn, timeoutMs).catch((e: unknown) => ({
    members: [],
    leaderId: null,
    quorum: false,
    alarms: [],
    memberListError: firstLine(e),
  }));
  const services = serviceInstances(conn).then(
    (instances) => {
      const perService: Record<string, number> = {};
      for (const i of instances) perService[i.service] = (perService[i.service] ?? 0) + 1;
      return { instances, perService };
    },
    (e: unknown) => ({ instances: [], perService: {}, error: `svc: keys unreadable (they need a quorum): ${firstLine(e)}` }),
  );
  const cluster = await etcd;
  // In name order (etcd lists them by id), so the table reads etcd-0, etcd-1, ...
  cluster.members.sort((a, b) => a.name.localeCompare(b.name, undefined, { numeric: true }));
  return { etcd: cluster, services: await services, nats: await nats };
}
