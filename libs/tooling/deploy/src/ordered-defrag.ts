/**
 * Defragmentation in order (issue 28, point 4). `etcdctl defrag --cluster` walks the member list
 * in its own order: the leader may go first, and while it is blocked the cluster elects (writes
 * stall for an election timeout and more), then the next member blocks too. Here: learners and
 * followers one at a time, each back in step with the leader before the next, the leader last
 * (asked again right before it, as leadership may have moved meanwhile). The CLI is
 * etcd-defrag.ts; the chart's CronJob runs it.
 */
import { createEtcdConnection, type EtcdTlsFiles } from '@ticketcd/etcd';
import { Etcd3, EtcdAuthenticationFailedError, type IOptions } from 'etcd3';

export interface DefragMember {
  id: string;
  name: string;
  url: string;
  isLeader: boolean;
  isLearner: boolean;
}

/**
 * The next member to defragment among those not done: a learner first (no vote: blocking it
 * costs nothing), then a follower (member-list order, by name), the leader only when no one else
 * is left. Null when every member is done.
 */
export function nextToDefragment(members: DefragMember[], done: ReadonlySet<string>): DefragMember | null {
  const left = members.filter((m) => !done.has(m.id));
  const rank = (m: DefragMember) => (m.isLearner ? 0 : m.isLeader ? 2 : 1);
  return [...left].sort((a, b) => rank(a) - rank(b) || a.name.localeCompare(b.name))[0] ?? null;
}

export class DefragError extends Error {
  override readonly name = 'DefragError';
  constructor(
    message: string,
    readonly exitCode: number,
    override readonly cause?: unknown,
  ) {
    super(message);
  }
}

export const DEFRAG_EXIT = { usage: 64, config: 78, etcdDown: 69, etcdAuth: 77, unhealthy: 75, other: 1 } as const;

export interface DefragOptions {
  endpoints: string[];
  tls?: EtcdTlsFiles;
  /** With etcd auth on: Defragment is an admin RPC, it needs root. */
  rootPassword?: string;
  /** Deadline of each unary call but Defragment. */
  deadlineMs?: number;
  /** Deadline of one member's Defragment (it blocks the member: seconds per GB). */
  defragTimeoutMs?: number;
  /** How long a defragmented member may take to be back in step before the run stops. */
  healthyTimeoutMs?: number;
  log?: (line: string) => void;
}

export interface DefragStep {
  member: string;
  role: 'learner' | 'follower' | 'leader';
  dbBytesBefore: number;
  dbBytesAfter: number;
  ms: number;
  /** Why it was not defragmented (a learner on etcd 3.5). */
  skipped?: string;
}

const firstLine = (e: unknown) => (e as Error)?.message?.split('\n')[0] ?? String(e);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Seen {
  member: DefragMember;
  dbBytes: number;
  appliedIndex: number;
  raftIndex: number;
  hasLeader: boolean;
}

export async function runOrderedDefrag(opts: DefragOptions): Promise<DefragStep[]> {
  const log = opts.log ?? (() => undefined);
  const deadlineMs = opts.deadlineMs ?? 5000;
  const auth = opts.rootPassword ? { auth: { username: 'root', password: opts.rootPassword } } : {};
  const conn = createEtcdConnection({ endpoints: opts.endpoints, tls: opts.tls, deadlineMs, ...auth });
  const credentials: Pick<IOptions, 'credentials'> = conn.clientOptions.credentials ? { credentials: conn.clientOptions.credentials } : {};
  const clients = new Map<string, Etcd3>();
  // One client per member, pinned to it (etcd3 would fail over to another member otherwise).
  const clientOf = (m: DefragMember, withAuth: boolean) => {
    const k = `${m.id}:${withAuth}`;
    if (!clients.has(k)) clients.set(k, new Etcd3({ ...credentials, ...(withAuth ? auth : {}), hosts: [m.url], dialTimeout: deadlineMs }));
    return clients.get(k)!;
  };
  const until = (ms: number) => ({ deadline: new Date(Date.now() + ms) });

  /** Member list plus each member's own status (no user needed for Status). */
  const survey = async (): Promise<Seen[]> => {
    let list;
    try {
      list = (await conn.client.cluster.memberList({ linearizable: true }, conn.deadline())).members;
    } catch (e) {
      if (e instanceof EtcdAuthenticationFailedError)
        throw new DefragError(`etcd refused the root user (wrong ETCD_ROOT_PASSWORD?): ${firstLine(e)}`, DEFRAG_EXIT.etcdAuth, e);
      if (/authentication is not enabled/i.test(firstLine(e)))
        throw new DefragError('ETCD_ROOT_PASSWORD is set but etcd auth is not enabled: unset it', DEFRAG_EXIT.config, e);
      throw new DefragError(
        `etcd is not reachable (or has no leader) at ${opts.endpoints.join(', ')}: ${firstLine(e)}`,
        DEFRAG_EXIT.etcdDown,
        e,
      );
    }
    return Promise.all(
      list.map(async (m): Promise<Seen> => {
        const member: DefragMember = {
          id: String(m.ID),
          name: m.name || String(m.ID),
          url: m.clientURLs[0] ?? '',
          isLeader: false,
          isLearner: m.isLearner,
        };
        if (!member.url)
          throw new DefragError(
            `member ${member.name} has not started (no client URL): not defragmenting while one is missing`,
            DEFRAG_EXIT.unhealthy,
          );
        try {
          const s = await clientOf(member, false).maintenance.status(until(deadlineMs));
          member.isLeader = String(s.leader) === String(s.header.member_id);
          return {
            member,
            dbBytes: Number(s.dbSize),
            appliedIndex: Number(s.raftAppliedIndex),
            raftIndex: Number(s.raftIndex),
            hasLeader: String(s.leader) !== '0',
          };
        } catch (e) {
          throw new DefragError(
            `member ${member.name} (${member.url}) does not answer Status: not defragmenting while one is down (${firstLine(e)})`,
            DEFRAG_EXIT.unhealthy,
            e,
          );
        }
      }),
    );
  };

  const steps: DefragStep[] = [];
  const done = new Set<string>();
  try {
    let seen = await survey();
    log(
      `members: ${seen.map((s) => `${s.member.name}${s.member.isLeader ? ' (leader)' : s.member.isLearner ? ' (learner)' : ''} ${s.dbBytes} B`).join(', ')}`,
    );
    for (;;) {
      const next = nextToDefragment(
        seen.map((s) => s.member),
        done,
      );
      if (!next) break;
      const role = next.isLearner ? 'learner' : next.isLeader ? 'leader' : 'follower';
      const before = seen.find((s) => s.member.id === next.id)!;
      log(`defragmenting ${next.name} (${role}, ${before.dbBytes} B)`);
      const started = Date.now();
      try {
        await clientOf(next, true).maintenance.defragment(until(opts.defragTimeoutMs ?? 300_000));
      } catch (e) {
        if (next.isLearner && /not supported for learner/i.test(firstLine(e))) {
          // etcd 3.5 serves a learner only Status and serializable reads: it is tried (a later
          // etcd may accept it) and skipped; it is defragmented on a run after its promotion.
          done.add(next.id);
          steps.push({
            member: next.name,
            role,
            dbBytesBefore: before.dbBytes,
            dbBytesAfter: before.dbBytes,
            ms: 0,
            skipped: firstLine(e),
          });
          log(`skipped ${next.name} (learner): ${firstLine(e)}`);
          seen = await survey();
          continue;
        }
        if (e instanceof EtcdAuthenticationFailedError || /permission denied|user name is empty/i.test(firstLine(e)))
          throw new DefragError(`etcd refused Defragment as root on ${next.name}: ${firstLine(e)}`, DEFRAG_EXIT.etcdAuth, e);
        throw new DefragError(`defragmenting ${next.name} (${role}) failed: ${firstLine(e)}`, DEFRAG_EXIT.etcdDown, e);
      }
      const ms = Date.now() - started;
      done.add(next.id);
      // Back in step before the next one: it answers, sees a leader and has applied what the
      // leader had committed when its defragmentation ended.
      const after = await waitInStep(next, opts.healthyTimeoutMs ?? 60_000);
      steps.push({ member: next.name, role, dbBytesBefore: before.dbBytes, dbBytesAfter: after.dbBytes, ms });
      log(`defragmented ${next.name} (${role}) in ${ms} ms: ${before.dbBytes} -> ${after.dbBytes} B; back in step`);
      // Who leads is asked again before every step, so the leader is the leader of now.
      seen = await survey();
    }
    log(`order: ${steps.map((s) => `${s.member} (${s.role}${s.skipped ? ', skipped' : ''})`).join(', ')}`);
    return steps;
  } finally {
    for (const c of clients.values()) c.close();
    conn.close();
  }

  async function waitInStep(m: DefragMember, timeoutMs: number): Promise<Seen> {
    const give = Date.now() + timeoutMs;
    let target: number | null = null;
    let last = '';
    while (Date.now() < give) {
      try {
        const all = await survey();
        const leader = all.find((s) => s.member.isLeader);
        const self = all.find((s) => s.member.id === m.id)!;
        if (leader && self.hasLeader) {
          target ??= leader.raftIndex;
          if (self.appliedIndex >= target) return self;
          last = `applied ${self.appliedIndex} of ${target}`;
        } else last = 'no leader';
      } catch (e) {
        last = firstLine(e);
      }
      await sleep(200);
    }
    throw new DefragError(
      `${m.name} is not back in step ${timeoutMs} ms after its defragmentation (${last}): stopping before the next member`,
      DEFRAG_EXIT.unhealthy,
    );
  }
}
