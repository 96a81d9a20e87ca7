/**
 * Cluster health: quorum (for readiness) and per-member status (for stack:status and the
 * admin page). A linearizable read needs a leader and a quorum, so it is the honest probe.
 */
import { AlarmAction, AlarmType } from 'etcd3';
import { etcd3For, type EtcdConnection } from './client.js';
import { isAuthError } from './errors.js';

export interface QuorumCheck {
  ok: boolean;
  latencyMs: number;
  revision?: number;
  reason?: string;
  /** etcd refused our user (not an outage: this instance cannot use etcd until it can log in). */
  authFailed?: boolean;
}

/**
 * `probePrefix`: a range the connection's etcd user may read (with auth on, a read outside the
 * user's role is refused); by default a key no one writes.
 */
export async function checkQuorum(conn: EtcdConnection, timeoutMs = 1000, probePrefix = '\u0000quorum-probe'): Promise<QuorumCheck> {
  const started = Date.now();
  try {
    // Any key will do: a linearizable range read goes through the leader's read index.
    const res = await conn.kv.getAll().prefix(probePrefix).limit(1).options(conn.deadline(timeoutMs)).exec();
    return { ok: true, latencyMs: Date.now() - started, revision: Number(res.header.revision) };
  } catch (e) {
    const latencyMs = Date.now() - started;
    const detail = (e as Error).message.split('\n')[0];
    if (isAuthError(e)) {
      return {
        ok: false,
        latencyMs,
        authFailed: true,
        reason: `etcd auth failed for user "${conn.username ?? ''}" (wrong password, user not created or auth not enabled yet?): ${detail}`,
      };
    }
    return {
      ok: false,
      latencyMs,
      reason: `etcd quorum unavailable: a linearizable read did not complete within ${timeoutMs} ms (${detail})`,
    };
  }
}

export interface MemberStatus {
  id: string;
  name: string;
  clientUrls: string[];
  reachable: boolean;
  isLeader: boolean;
  raftTerm?: number;
  raftIndex?: number;
  dbSizeBytes?: number;
  version?: string;
  error?: string;
}

/** A raised alarm (NOSPACE: the quota is exhausted and writes are refused; CORRUPT: a member's data differs). */
export interface AlarmStatus {
  memberId: string;
  alarm: string;
}

export interface ClusterStatus {
  members: MemberStatus[];
  leaderId: string | null;
  quorum: boolean;
  /** Raised alarms (empty when healthy). */
  alarms: AlarmStatus[];
  /** Why the alarms could not be read (they go through raft, so they need a quorum). */
  alarmsError?: string;
}

/** The raised alarms of the whole cluster (an alarm GET goes through raft: it needs a quorum). */
export async function clusterAlarms(conn: EtcdConnection, timeoutMs = 1000): Promise<AlarmStatus[]> {
  const res = await conn.client.maintenance.alarm(
    { action: AlarmAction.Get, memberID: 0, alarm: AlarmType.None },
    conn.deadline(timeoutMs),
  );
  // etcd3 names them Nospace/Corrupt; etcd (and etcdctl) say NOSPACE/CORRUPT.
  const name = (alarm: unknown) => String(typeof alarm === 'number' ? AlarmType[alarm] : alarm).toUpperCase();
  return res.alarms.map((a) => ({ memberId: String(a.memberID), alarm: name(a.alarm) }));
}

/** Member list plus each member's own status, asked of that member directly. */
export async function clusterStatus(conn: EtcdConnection, timeoutMs = 1000): Promise<ClusterStatus> {
  const list = await conn.client.cluster.memberList({}, conn.deadline(timeoutMs));
  const alarms = clusterAlarms(conn, timeoutMs).then(
    (a) => ({ alarms: a }),
    (e: unknown) => ({ alarms: [], alarmsError: (e as Error).message.split('\n')[0] }),
  );
  const members = await Promise.all(
    list.members.map(async (m): Promise<MemberStatus> => {
      const base = { id: String(m.ID), name: m.name, clientUrls: m.clientURLs, reachable: false, isLeader: false };
      if (m.clientURLs.length === 0) return { ...base, error: 'not started' };
      // TLS as the connection, but no user: Status needs none, and each login would be a raft write.
      const one = etcd3For(conn.clientOptions, {
        credentials: conn.clientOptions.credentials,
        hosts: m.clientURLs,
        dialTimeout: timeoutMs,
      });
      try {
        const s = await one.maintenance.status({ deadline: new Date(Date.now() + timeoutMs) });
        return {
          ...base,
          reachable: true,
          isLeader: String(s.leader) === String(s.header.member_id),
          raftTerm: Number(s.raftTerm),
          raftIndex: Number(s.raftIndex),
          dbSizeBytes: Number(s.dbSize),
          version: s.version,
        };
      } catch (e) {
        return { ...base, error: (e as Error).message.split('\n')[0] };
      } finally {
        one.close();
      }
    }),
  );
  const leader = members.find((m) => m.isLeader);
  const reachable = members.filter((m) => m.reachable).length;
  return { members, leaderId: leader?.id ?? null, quorum: leader !== undefined && reachable > members.length / 2, ...(await alarms) };
}
