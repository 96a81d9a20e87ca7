/**
 * Is etcd's quorum lost? (issue 25 point 1). A busy, healthy cluster misses deadlines: a rule
 * that counts them declared losses under load (2,797 of 5,000 orders got "quorum lost" with every
 * member up). So the rule counts only answers that prove it: a member that refuses the connection
 * (its process is not there) or that answers it has no leader. Silence counts for nothing.
 *
 * `judgeQuorum` is the rule, a pure function of the sweeps; `QuorumMonitor` makes the sweeps:
 * it asks every member for its own Status, over one persistent client per member.
 */
import { noop } from 'cockatiel';
import { GRPCUnavailableError, type Etcd3 } from 'etcd3';
import { etcd3For, type EtcdConnection } from './client.js';

/** One member's answer in a sweep. `silent`: a timeout or any other failure, which proves nothing. */
export type MemberAnswer = 'leader' | 'no-leader' | 'refused' | 'silent';

export interface QuorumSweep {
  /** When the sweep ended (epoch ms). */
  at: number;
  /** One per member of the cluster. */
  answers: MemberAnswer[];
}

export interface QuorumState {
  /** Why the quorum is known lost, or null. */
  lost: string | null;
  /** Since when (epoch ms) every sweep saw a majority refuse, or null. */
  refusedSince: number | null;
  /** Since when every sweep saw a majority refuse or answer "no leader", or null. */
  downSince: number | null;
}

export const QUORUM_OK: QuorumState = { lost: null, refusedSince: null, downSince: null };

/** Two sweeps about 500 ms apart: the first and the last of a run of bad sweeps at least this far apart. */
export const CONFIRM_MS = 400;
/**
 * A majority that is down only with "no leader" answers counted must stay so for longer: in an
 * election a few members answer "no leader" for a moment (measured: at most 2 of 4 members, for
 * under 0.5 s, after a leader kill), but a split vote leaves most of them leaderless for another
 * round of 1-2 s (etcd's election timeout, randomized) before a leader appears.
 */
export const NO_LEADER_CONFIRM_MS = 2500;

export function countAnswers(answers: MemberAnswer[]): Record<MemberAnswer, number> {
  const c = { leader: 0, 'no-leader': 0, refused: 0, silent: 0 };
  for (const a of answers) c[a]++;
  return c;
}

/**
 * The rule. Lost: on consecutive sweeps spanning CONFIRM_MS (so at least two), more than half
 * the members refused the connection; or, spanning NO_LEADER_CONFIRM_MS, more than half refused
 * or answered that they have no leader. One bad sweep is never enough, and a sweep with too few
 * of either (a timeout counts as neither) ends the run. Back: a sweep in which more than half
 * answer with a leader (or, outside this function, a linearizable read that succeeds).
 */
export function judgeQuorum(state: QuorumState, sweep: QuorumSweep): QuorumState {
  const n = sweep.answers.length;
  const c = countAnswers(sweep.answers);
  if (n === 0) return state;
  if (state.lost) return c.leader > n / 2 ? QUORUM_OK : state;
  const refused = c.refused > n / 2;
  const down = c.refused + c['no-leader'] > n / 2;
  if (!down) return QUORUM_OK;
  const refusedSince = refused ? (state.refusedSince ?? sweep.at) : null;
  const downSince = state.downSince ?? sweep.at;
  const confirmed = (refusedSince !== null && sweep.at - refusedSince >= CONFIRM_MS) || sweep.at - downSince >= NO_LEADER_CONFIRM_MS;
  if (!confirmed) return { lost: null, refusedSince, downSince };
  const lost =
    `etcd quorum lost: ${c.refused} of ${n} members refuse connections, ${c['no-leader']} answer without a leader` +
    ` (for ${sweep.at - (refusedSince ?? downSince)} ms)`;
  return { lost, refusedSince, downSince };
}

/** Connection errors that prove nothing listens there (the member's process is gone), unlike silence. */
const REFUSED = /ECONNREFUSED|EHOSTUNREACH|ENETUNREACH|ENOTFOUND|Name resolution failed/;

/** A member's Status outcome as the rule sees it. */
export function classifyStatus(result: { leader: string | number } | { error: unknown }): MemberAnswer {
  if ('leader' in result) return String(result.leader) === '0' ? 'no-leader' : 'leader';
  const e = result.error;
  return e instanceof GRPCUnavailableError && REFUSED.test(e.message) ? 'refused' : 'silent';
}

export interface QuorumMonitorOptions {
  /**
   * Between sweeps once any member answered other than "leader" (default 250 ms): a loss is
   * confirmed by the third bad sweep in a row, about 0.5-0.75 s after the members stop. One
   * Status per member over kept channels, which etcd answers from memory (no raft, no disk).
   */
  sweepMs?: number;
  /**
   * Between sweeps while every member answered with a leader (default 1000 ms). Sweeps cost every
   * instance and every member all day (5 Status calls x 4 a second x every instance was most of
   * an idle stack's CPU, issue 27). A member that stops answering switches the monitor to
   * `sweepMs` at the next sweep, so a majority lost one member at a time is confirmed as fast as
   * before; one lost all at once, up to this much later.
   */
  healthySweepMs?: number;
  /** Deadline of each member's Status (default 400 ms). */
  statusTimeoutMs?: number;
  /** How often the member list is read again (default 10 s). */
  memberListMs?: number;
}

interface MemberClient {
  url: string;
  client: Etcd3;
}

/**
 * Sweeps every member's Status and keeps `judgeQuorum`'s verdict. Members come from the last
 * member list read (a failed read keeps the last one, never "0 members"); before the first, the
 * configured endpoints. One client per member client URL, kept: etcd3 re-dials a member's channel
 * after a failed call by itself, so a refusal shows at once and the member's return within a sweep.
 * No retry and no circuit breaker on these clients: either would turn a refusal into something else.
 */
export class QuorumMonitor {
  private state: QuorumState = QUORUM_OK;
  private members: { urls: string[] }[];
  private readonly clients = new Map<string, MemberClient>();
  private timer: NodeJS.Timeout | null = null;
  private listAt = 0;
  private lostAt = 0;
  private closed = false;
  private readonly listeners = new Set<(lost: string | null) => void>();
  /** Times this instance declared the quorum lost. */
  declared = 0;
  lastSweep: (QuorumSweep & { counts: Record<MemberAnswer, number> }) | null = null;
  private readonly sweepMs: number;
  private readonly healthySweepMs: number;
  private readonly statusTimeoutMs: number;
  private readonly memberListMs: number;

  constructor(
    private readonly conn: EtcdConnection,
    opts: QuorumMonitorOptions = {},
  ) {
    this.sweepMs = opts.sweepMs ?? 250;
    this.healthySweepMs = Math.max(this.sweepMs, opts.healthySweepMs ?? 1000);
    this.statusTimeoutMs = opts.statusTimeoutMs ?? 400;
    this.memberListMs = opts.memberListMs ?? 10_000;
    this.members = conn.endpoints.map((url) => ({ urls: [url] }));
  }

  /** Why the quorum is known lost, or null. */
  get lost(): string | null {
    return this.state.lost;
  }

  /** When (epoch ms) this instance declared the loss in force. */
  get lostSince(): number {
    return this.lostAt;
  }

  /** Called with the reason when the quorum is declared lost, and with null when it is back. */
  onChange(listener: (lost: string | null) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  start(): void {
    if (this.timer || this.closed) return;
    const tick = () => {
      this.timer = setTimeout(() => void this.sweep().finally(() => !this.closed && tick()), this.nextSweepMs());
      this.timer.unref();
    };
    tick();
  }

  close(): void {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    for (const m of this.clients.values()) m.client.close();
    this.clients.clear();
  }

  /**
   * A linearizable read sent at `sentAt` succeeded: a quorum answers, whatever the sweeps said
   * (unless the loss was declared after it was sent: the answer may predate the loss).
   */
  reachable(sentAt: number): void {
    if (this.state.lost && sentAt < this.lostAt) return;
    this.set(QUORUM_OK);
  }

  /** The pause before the next sweep: longer while the last one found every member with a leader. */
  nextSweepMs(): number {
    const c = this.lastSweep?.counts;
    const healthy = c !== undefined && !this.state.lost && c.leader === this.lastSweep!.answers.length;
    return healthy ? this.healthySweepMs : this.sweepMs;
  }

  /** One sweep: every member's Status at once, then the rule. */
  async sweep(): Promise<QuorumState> {
    if (Date.now() - this.listAt >= this.memberListMs) void this.readMembers();
    const answers = await Promise.all(this.members.map((m) => this.ask(m.urls[0])));
    if (this.closed) return this.state;
    const sweep = { at: Date.now(), answers };
    this.lastSweep = { ...sweep, counts: countAnswers(answers) };
    this.set(judgeQuorum(this.state, sweep));
    return this.state;
  }

  private set(next: QuorumState): void {
    const was = this.state.lost;
    this.state = next;
    if ((was === null) === (next.lost === null)) return;
    if (next.lost) {
      this.declared++;
      this.lostAt = Date.now();
    }
    for (const l of this.listeners) l(next.lost);
  }

  private async ask(url: string | undefined): Promise<MemberAnswer> {
    // A member added but never started has no client URL: nothing runs there.
    if (!url) return 'refused';
    const deadline = new Date(Date.now() + this.statusTimeoutMs);
    try {
      const s = await this.client(url).maintenance.status({ deadline });
      return classifyStatus({ leader: s.leader });
    } catch (error) {
      return classifyStatus({ error });
    }
  }

  private client(url: string): Etcd3 {
    let m = this.clients.get(url);
    if (!m) {
      // TLS as the connection, but no user: Status needs none, and each login would be a raft write.
      const client = etcd3For(this.conn.clientOptions, {
        credentials: this.conn.clientOptions.credentials,
        hosts: url,
        faultHandling: { host: () => noop, global: noop },
      });
      this.clients.set(url, (m = { url, client }));
    }
    return m.client;
  }

  /** The member list, served by any member without a quorum; a failure keeps the last one. */
  private async readMembers(): Promise<void> {
    this.listAt = Date.now();
    try {
      const list = await this.conn.client.cluster.memberList({}, this.conn.deadline(1000));
      if (this.closed || list.members.length === 0) return;
      this.members = list.members.map((m) => ({ urls: m.clientURLs }));
      const wanted = new Set(this.members.flatMap((m) => m.urls.slice(0, 1)));
      for (const [url, m] of this.clients) {
        if (!wanted.has(url)) {
          m.client.close();
          this.clients.delete(url);
        }
      }
    } catch {
      // Unanswered (a busy cluster, or no member reachable): the last list stands.
    }
  }
}
