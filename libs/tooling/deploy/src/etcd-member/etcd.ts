/**
 * Issue 28.1: the etcd calls of the membership program, each with a deadline. Reads (member list,
 * status) need no user in etcd 3.5, so they go without one, on one cached client per member: each
 * login is a bcrypt check and a raft round on etcd's side, and a sidecar reads every 2 s. Only the
 * membership changes log in, as root (etcd requires it with auth on); before the chart's auth Job
 * has run (or with auth off) etcd refuses a token request, and they go without a user.
 */
import { createEtcdConnection, isAuthError, type EtcdConnection, type EtcdTlsFiles } from '@ticketcd/etcd';
import type { ClusterView, MemberInfo } from './decide.js';

export interface EtcdAccess {
  tls?: EtcdTlsFiles;
  /** etcd's root password, when given (ETCD_ROOT_PASSWORD / ETCD_ROOT_PASSWORD_FILE). */
  rootPassword?: string;
  /** Deadline of a read (member list, status). */
  deadlineMs: number;
  /** Deadline of a membership change (default 10 s). */
  changeDeadlineMs?: number;
}

const AUTH_NOT_ENABLED = /authentication is not enabled/i;

export const firstLine = (e: unknown): string => ((e as Error)?.message ?? String(e)).split('\n')[0]!;

/** One client without a user per member URL, for the life of the process. */
const readers = new Map<string, EtcdConnection>();
function reader(access: EtcdAccess, url: string): EtcdConnection {
  let c = readers.get(url);
  if (!c) {
    c = createEtcdConnection({ endpoints: [url], tls: access.tls, deadlineMs: access.deadlineMs });
    readers.set(url, c);
  }
  return c;
}

export function closeClients(): void {
  for (const c of [...readers.values(), ...roots.values()]) c.close();
  readers.clear();
  roots.clear();
}

/** A read on one member without a user; as root if that member insists on one. */
async function read<T>(access: EtcdAccess, url: string, fn: (conn: EtcdConnection) => Promise<T>): Promise<T> {
  try {
    return await fn(reader(access, url));
  } catch (e) {
    if (!access.rootPassword || !isAuthError(e)) throw e;
    return withClient(access, [url], fn);
  }
}

/** Root clients by member list, kept: etcd3 logs in once per client and again only when the token expires. */
const roots = new Map<string, EtcdConnection>();

/**
 * Runs a membership change on a client of `hosts`: as root when a password is given and auth is
 * on, else without a user. A change is a raft round (and a login the first time): its deadline is
 * `changeDeadlineMs`. A change that missed it may still apply: callers read the list again.
 */
export async function withClient<T>(access: EtcdAccess, hosts: string[], fn: (conn: EtcdConnection) => Promise<T>): Promise<T> {
  const base = { endpoints: hosts, tls: access.tls, deadlineMs: access.changeDeadlineMs ?? 10_000 };
  if (access.rootPassword) {
    const key = [...hosts].sort().join(',');
    let root = roots.get(key);
    if (!root) {
      root = createEtcdConnection({ ...base, auth: { username: 'root', password: access.rootPassword } });
      roots.set(key, root);
    }
    try {
      return await fn(root);
    } catch (e) {
      if (!AUTH_NOT_ENABLED.test((e as Error).message)) throw e;
      // auth not on yet: this client keeps no token, the next change tries root again
    }
  }
  const plain = createEtcdConnection(base);
  try {
    return await fn(plain);
  } finally {
    plain.close();
  }
}

function toInfo(m: { ID: string; name: string; peerURLs: string[]; clientURLs: string[]; isLearner: boolean }): MemberInfo {
  return {
    id: String(m.ID),
    name: m.name ?? '',
    peerUrls: m.peerURLs ?? [],
    clientUrls: m.clientURLs ?? [],
    isLearner: Boolean(m.isLearner),
  };
}

/**
 * The member list from the first of `hosts` that answers (each asked on its own: a learner or a
 * member that is down must not hide the others). Linearizable when a quorum answers; otherwise
 * not: a member without quorum still answers, which is what tells "a cluster exists" from "first
 * install".
 */
export async function listMembers(access: EtcdAccess, hosts: string[]): Promise<MemberInfo[] | null> {
  const ask = (linearizable: boolean) =>
    Promise.any(
      hosts.map((h) =>
        read(access, h, async (c) => (await c.client.cluster.memberList({ linearizable }, c.deadline())).members.map(toInfo)),
      ),
    );
  // The current list when a quorum answers (decisions to change membership rest on it); a member's
  // own view when none does.
  try {
    return await ask(true);
  } catch {
    return ask(false).catch(() => null);
  }
}

export interface MemberStatusLite {
  memberId: string;
  leaderId: string;
  isLearner: boolean;
}

/** Maintenance status of one member (learners answer it too), or null. */
export async function memberStatus(access: EtcdAccess, url: string): Promise<MemberStatusLite | null> {
  return read(access, url, async (c) => {
    const s = await c.client.maintenance.status(c.deadline());
    return { memberId: String(s.header.member_id), leaderId: String(s.leader), isLearner: Boolean(s.isLearner) };
  }).catch(() => null);
}

/** The members, and which of them answer a status request now. */
export async function clusterView(access: EtcdAccess, hosts: string[]): Promise<ClusterView | null> {
  const members = await listMembers(access, hosts);
  if (!members) return null;
  const reachable = new Set<string>();
  let leaderId: string | null = null;
  await Promise.all(
    members.map(async (m) => {
      for (const url of m.clientUrls) {
        const s = await memberStatus(access, url);
        if (s && s.memberId === m.id) {
          reachable.add(m.id);
          if (s.leaderId !== '0' && !m.isLearner) leaderId = s.leaderId;
          return;
        }
      }
    }),
  );
  return { members, reachable, leaderId };
}

const votersOf = (members: MemberInfo[]) => members.filter((m) => !m.isLearner && m.clientUrls.length).flatMap((m) => m.clientUrls);

export async function addLearner(access: EtcdAccess, members: MemberInfo[], peerUrl: string): Promise<MemberInfo[]> {
  return withClient(access, votersOf(members), async (c) =>
    (await c.client.cluster.memberAdd({ peerURLs: [peerUrl], isLearner: true }, c.deadline())).members.map(toInfo),
  );
}

export async function removeMember(access: EtcdAccess, members: MemberInfo[], id: string): Promise<void> {
  await withClient(access, votersOf(members.filter((m) => m.id !== id)), async (c) => {
    await c.client.cluster.memberRemove({ ID: id }, c.deadline());
  });
}

/**
 * Sent to the leader itself: etcd 3.5.16 with auth on fails a promotion a follower forwards ("auth:
 * user name is empty" on the leader, retried until "request timed out"; etcd-io/etcd#20757, fixed
 * in later 3.5 releases). Seen here: promotions stalled for minutes until a try hit the leader.
 */
export async function promoteMember(access: EtcdAccess, members: MemberInfo[], id: string, leaderId: string | null): Promise<void> {
  const leader = members.find((m) => m.id === leaderId && m.clientUrls.length);
  await withClient(access, leader ? leader.clientUrls : votersOf(members), async (c) => {
    await c.client.cluster.memberPromote({ ID: id }, c.deadline());
  });
}

/** etcd's answers that mean "not now, try again" rather than "broken". */
export const isTooManyLearners = (e: unknown) => /too many learner members/i.test((e as Error)?.message ?? '');
export const isLearnerNotReady = (e: unknown) => /in sync with leader|not ready/i.test((e as Error)?.message ?? '');
export const isMemberNotFound = (e: unknown) => /member not found/i.test((e as Error)?.message ?? '');
