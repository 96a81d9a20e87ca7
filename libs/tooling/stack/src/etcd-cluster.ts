/**
 * A five-member etcd cluster on 127.0.0.1, one process and data dir per member. Members can be
 * stopped and restarted one by one (fault tests); a restarted member rejoins with its data.
 * Auth tokens are JWTs signed with an RSA key pair made in the cluster's dir, as the chart
 * deploys them (issue 29.3): a token stays valid on a restarted member.
 */
import { generateKeyPairSync } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { findBinary } from './binaries.js';
import { GiveUp, isAlive, startProcess, stopProcess, tail, waitUntil, type ManagedProcess } from './process.js';

export interface EtcdClusterOptions {
  dir: string;
  clientBasePort: number;
  peerBasePort: number;
  size?: number;
  token?: string;
  /** etcd's --quota-backend-bytes. */
  quotaBytes?: number;
  /** etcd's --auto-compaction-retention (periodic mode), e.g. "1h". */
  compactionRetention?: string;
  /** etcd's --listen-metrics-urls, member i on base+i (/metrics, /health, /livez, /readyz as the chart's probes see them); none by default. */
  metricsBasePort?: number;
  /** etcd's --snapshot-count (etcd's default when unset). */
  snapshotCount?: number;
  /** etcd's --auth-token: `jwt` (default, as deployed) or `simple` (tokens in each member's memory). */
  authToken?: 'jwt' | 'simple';
}

/**
 * etcd's `--auth-token` for JWTs: an RS256 key pair in `dir` (PKCS#8 / SPKI PEM, the chart's
 * `<fullname>-etcd-jwt` layout), made once and kept, so restarted members check old tokens.
 */
export function jwtAuthToken(dir: string, ttl = '10m'): string {
  const priv = path.join(dir, 'jwt.key');
  const pub = path.join(dir, 'jwt.pub');
  if (!fs.existsSync(priv) || !fs.existsSync(pub)) {
    fs.mkdirSync(dir, { recursive: true });
    const { privateKey, publicKey } = generateKeyPairSync('rsa', {
      modulusLength: 2048,
      privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
      publicKeyEncoding: { type: 'spki', format: 'pem' },
    });
    fs.writeFileSync(priv, privateKey, { mode: 0o600 });
    fs.writeFileSync(pub, publicKey);
  }
  return `jwt,pub-key=${pub},priv-key=${priv},sign-method=RS256,ttl=${ttl}`;
}

export class EtcdCluster {
  readonly size: number;
  private readonly members: (ManagedProcess | null)[];

  constructor(readonly opts: EtcdClusterOptions) {
    this.size = opts.size ?? 5;
    this.members = new Array(this.size).fill(null);
  }

  memberName = (i: number) => `etcd-${i}`;
  clientUrl = (i: number) => `http://127.0.0.1:${this.opts.clientBasePort + i}`;
  peerUrl = (i: number) => `http://127.0.0.1:${this.opts.peerBasePort + i}`;

  get endpoints(): string[] {
    return Array.from({ length: this.size }, (_, i) => this.clientUrl(i));
  }

  get processes(): ManagedProcess[] {
    return this.members.filter((m): m is ManagedProcess => m !== null);
  }

  args(i: number): string[] {
    const cluster = Array.from({ length: this.size }, (_, j) => `${this.memberName(j)}=${this.peerUrl(j)}`).join(',');
    return [
      `--name=${this.memberName(i)}`,
      `--data-dir=${path.join(this.opts.dir, this.memberName(i))}`,
      `--listen-client-urls=${this.clientUrl(i)}`,
      `--advertise-client-urls=${this.clientUrl(i)}`,
      `--listen-peer-urls=${this.peerUrl(i)}`,
      `--initial-advertise-peer-urls=${this.peerUrl(i)}`,
      `--initial-cluster=${cluster}`,
      '--initial-cluster-state=new',
      `--initial-cluster-token=${this.opts.token ?? 'ticketcd'}`,
      '--auto-compaction-mode=periodic',
      `--auto-compaction-retention=${this.opts.compactionRetention ?? '1h'}`,
      `--quota-backend-bytes=${this.opts.quotaBytes ?? 2 * 1024 ** 3}`,
      '--max-txn-ops=128',
      `--auth-token=${this.opts.authToken === 'simple' ? 'simple' : jwtAuthToken(this.opts.dir)}`,
      '--logger=zap',
      '--log-outputs=stderr',
      ...(this.opts.snapshotCount === undefined ? [] : [`--snapshot-count=${this.opts.snapshotCount}`]),
      ...(this.opts.metricsBasePort === undefined ? [] : [`--listen-metrics-urls=http://127.0.0.1:${this.opts.metricsBasePort + i}`]),
    ];
  }

  startMember(i: number): ManagedProcess {
    const current = this.members[i];
    if (current && isAlive(current.pid)) return current;
    const p = startProcess(this.memberName(i), findBinary('etcd'), this.args(i), {
      logFile: path.join(this.opts.dir, 'logs', `${this.memberName(i)}.log`),
      env: { ...process.env, ETCD_UNSUPPORTED_ARCH: process.env.ETCD_UNSUPPORTED_ARCH ?? '' },
    });
    this.members[i] = p;
    return p;
  }

  async stopMember(i: number, signal: NodeJS.Signals = 'SIGTERM', graceMs = 8000): Promise<void> {
    const m = this.members[i];
    if (!m) return;
    await stopProcess(m, { signal, graceMs });
    this.members[i] = null;
  }

  /** Starts every member and waits until each reports healthy (which needs a leader). */
  async start(timeoutMs = 30_000): Promise<void> {
    fs.mkdirSync(this.opts.dir, { recursive: true });
    for (let i = 0; i < this.size; i++) this.startMember(i);
    try {
      await this.waitHealthy(timeoutMs);
    } catch (e) {
      const logs = this.processes.map((p) => `--- ${p.name}\n${tail(p.logFile, 5)}`).join('\n');
      throw new Error(`${(e as Error).message}\n${logs}`);
    }
  }

  async memberHealthy(i: number): Promise<boolean> {
    try {
      const res = await fetch(`${this.clientUrl(i)}/health`, { signal: AbortSignal.timeout(1000) });
      const body = (await res.json()) as { health?: string };
      return res.ok && body.health === 'true';
    } catch {
      return false;
    }
  }

  async waitHealthy(timeoutMs = 30_000, members = Array.from({ length: this.size }, (_, i) => i)): Promise<void> {
    await waitUntil(
      `etcd members ${members.join(',')} healthy`,
      async () => {
        const dead = members.filter((i) => this.members[i] && !isAlive(this.members[i]!.pid));
        if (dead.length) throw new GiveUp(`member(s) ${dead.join(',')} exited (see their logs)`);
        return (await Promise.all(members.map((i) => this.memberHealthy(i)))).every(Boolean);
      },
      timeoutMs,
      200,
    );
  }

  /**
   * Stops every member. The last member standing can spend seconds trying to reach peers that
   * are already gone; its WAL is synced, so after a short grace it is killed. `discard`: the data
   * dirs are deleted next (a test's cluster), so every member is killed at once: a graceful stop
   * of all five costs 2 s (the leader always runs into the grace) and proves nothing there.
   */
  async stop(opts: { discard?: boolean } = {}): Promise<void> {
    await Promise.all(this.members.map((_, i) => (opts.discard ? this.stopMember(i, 'SIGKILL', 0) : this.stopMember(i, 'SIGTERM', 2000))));
  }
}
