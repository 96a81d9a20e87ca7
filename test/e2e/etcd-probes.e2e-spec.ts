/**
 * Issue 28 point 2: the chart's etcd probes tell the truth. The probes are read from the chart
 * itself (`helm template`, the etcd container of the StatefulSet) and evaluated the way the kubelet
 * does (httpGet: a 200-399 answer within timeoutSeconds; tcpSocket: a connection within
 * timeoutSeconds), each against a real etcd member of a five-member cluster whose
 * --listen-metrics-urls stands in for the pod's metrics port:
 *  (a) NOSPACE raised on a small quota: every member stays live and ready (the client Service keeps
 *      its endpoints for the backup, the scrape and the operator), and a member restarted under the
 *      alarm passes its startup probe;
 *  (b) three of five members stopped (the leader among them): the two left stay live and ready
 *      (serializable reads still answer), and a member restarted while the quorum is lost passes its
 *      startup probe instead of being killed at the end of its budget;
 *  (c) a defragmentation of a db of some MiB under writes: liveness never fails failureThreshold
 *      times in a row (the kubelet would restart the member in the middle of it).
 * In (a) and (b) the startup probe must not pass before liveness does (the kubelet hands over at
 * once): TCP on the client port fails that, as the port accepts connections before the WAL replay.
 */
import { clusterAlarms, createEtcdConnection, type EtcdConnection } from '@ticketcd/etcd';
import { EtcdCluster, findFreePortBlock } from '@ticketcd/stack';
import { waitFor } from '@ticketcd/testing';
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const root = path.resolve(import.meta.dirname, '../..');

// ---- the chart's probes ------------------------------------------------------------------------

interface Probe {
  httpGet?: { path: string; port: string | number };
  tcpSocket?: { port: string | number };
  timeoutSeconds?: number;
  periodSeconds?: number;
  failureThreshold?: number;
}

interface ChartProbes {
  startup: Probe;
  readiness: Probe;
  liveness: Probe;
  /** Container port by name (the probes may name theirs). */
  ports: Record<string, number>;
}

/** The etcd container's probes as `helm template` renders them with the default values. */
function chartProbes(): ChartProbes {
  const bin = path.join(execFileSync('bash', [path.join(root, 'scripts/k8s-tools.sh')], { encoding: 'utf8' }).trim(), 'helm');
  const r = spawnSync(bin, ['template', 'ticketcd', path.join(root, 'helm/ticketcd'), '-n', 'shop'], {
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  if (r.status !== 0) throw new Error(`helm template failed:\n${r.stderr}`);
  const sts = parseAllDocuments(r.stdout)
    .map((d) => d.toJS() as Obj | null)
    .find((o) => o?.kind === 'StatefulSet' && o.metadata?.name === 'ticketcd-etcd');
  const c = (sts?.spec.template.spec.containers as Obj[] | undefined)?.find((x) => x.name === 'etcd');
  if (!c) throw new Error('no etcd container in StatefulSet ticketcd-etcd');
  return {
    startup: c.startupProbe,
    readiness: c.readinessProbe,
    liveness: c.livenessProbe,
    ports: Object.fromEntries((c.ports as Obj[]).map((p) => [p.name, p.containerPort])),
  };
}

// Kubernetes' defaults for the fields a probe leaves out.
const timeoutMs = (p: Probe) => (p.timeoutSeconds ?? 1) * 1000;
const periodMs = (p: Probe) => (p.periodSeconds ?? 10) * 1000;
const threshold = (p: Probe) => p.failureThreshold ?? 3;

interface Outcome {
  ok: boolean;
  detail: string;
  startedAt: number;
  endedAt: number;
}

let probes: ChartProbes;
const describeProbe = (p: Probe) =>
  p.httpGet ? `GET :${p.httpGet.port}${p.httpGet.path}` : p.tcpSocket ? `TCP :${p.tcpSocket.port}` : JSON.stringify(p);

/** One probe attempt against member `i`, as the kubelet makes it. */
async function probeOnce(cluster: EtcdCluster, metricsBase: number, i: number, p: Probe): Promise<Outcome> {
  const startedAt = Date.now();
  const done = (ok: boolean, detail: string): Outcome => ({ ok, detail, startedAt, endedAt: Date.now() });
  const target = p.httpGet?.port ?? p.tcpSocket?.port;
  const containerPort = typeof target === 'number' ? target : probes.ports[String(target)];
  // The pod's ports (2379 client, 2381 metrics) are member i's ports on loopback here.
  const port =
    containerPort === 2379
      ? cluster.opts.clientBasePort + i
      : containerPort === 2381
        ? metricsBase + i
        : containerPort === 2380
          ? cluster.opts.peerBasePort + i
          : NaN;
  if (Number.isNaN(port)) return done(false, `probe port ${String(target)} is not a port of the etcd container`);
  if (p.httpGet) {
    try {
      const res = await fetch(`http://127.0.0.1:${port}${p.httpGet.path}`, {
        redirect: 'manual',
        signal: AbortSignal.timeout(timeoutMs(p)),
      });
      const body = (await res.text()).replace(/\s+/g, ' ').trim().slice(0, 160);
      return done(res.status >= 200 && res.status < 400, `${res.status} ${body}`);
    } catch (e) {
      return done(false, (e as Error).message);
    }
  }
  if (p.tcpSocket) {
    return new Promise((resolve) => {
      const s = net.connect({ host: '127.0.0.1', port });
      const finish = (ok: boolean, detail: string) => {
        s.destroy();
        resolve(done(ok, detail));
      };
      s.setTimeout(timeoutMs(p), () => finish(false, 'connect timed out'));
      s.once('connect', () => finish(true, 'connected'));
      s.once('error', (e) => finish(false, e.message));
    });
  }
  return done(false, `unsupported probe ${JSON.stringify(p)}`);
}

/** Attempts of a probe every `everyMs` (far more often than the kubelet) while `go()` says so. */
async function sample(run: (p: Probe) => Promise<Outcome>, p: Probe, everyMs: number, go: () => boolean): Promise<Outcome[]> {
  const samples: Outcome[] = [];
  while (go()) {
    const o = await run(p);
    samples.push(o);
    await new Promise((r) => setTimeout(r, Math.max(0, everyMs - (o.endedAt - o.startedAt))));
  }
  return samples;
}

/**
 * The longest stretch in which every attempt failed. The kubelet acts after failureThreshold
 * failures one period apart: whatever the phase of its ticker, a stretch shorter than
 * (failureThreshold - 1) periods cannot reach it.
 */
function longestFailingStretch(samples: Outcome[]): number {
  let longest = 0;
  let since: number | null = null;
  for (const s of samples) {
    if (s.ok) since = null;
    else {
      since ??= s.startedAt;
      longest = Math.max(longest, s.endedAt - since);
    }
  }
  return longest;
}

const forMs = (ms: number) => {
  const until = Date.now() + ms;
  return () => Date.now() < until;
};

// ---- a cluster with metrics URLs ---------------------------------------------------------------

interface Member {
  cluster: EtcdCluster;
  metricsBase: number;
  dir: string;
}

async function startCluster(name: string, quotaBytes?: number): Promise<Member> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `ticketcd-probes-${name}-`));
  const base = await findFreePortBlock(30);
  const cluster = new EtcdCluster({
    dir,
    clientBasePort: base,
    peerBasePort: base + 10,
    metricsBasePort: base + 20,
    token: `probes-${name}`,
    ...(quotaBytes ? { quotaBytes } : {}),
  });
  await cluster.start(60_000);
  return { cluster, metricsBase: base + 20, dir };
}

async function stopCluster(m: Member | undefined): Promise<void> {
  if (!m) return;
  await m.cluster.stop({ discard: true });
  fs.rmSync(m.dir, { recursive: true, force: true });
}

const probe = (m: Member, i: number, p: Probe) => probeOnce(m.cluster, m.metricsBase, i, p);

/** Every probe kind passes on member i, once each; the failures otherwise, named. */
async function failingProbes(m: Member, i: number): Promise<string[]> {
  const out: string[] = [];
  for (const [kind, p] of [
    ['startup', probes.startup],
    ['readiness', probes.readiness],
    ['liveness', probes.liveness],
  ] as const) {
    const o = await probe(m, i, p);
    if (!o.ok) out.push(`member ${i} ${kind} (${describeProbe(p)}): ${o.detail}`);
  }
  return out;
}

/**
 * Restarts member i and tries its startup probe every 50 ms for up to 45 s (far inside the
 * chart's budget; the member replays a small WAL in a second or two): [] once it passes, with
 * liveness and readiness passing right after, else why not. The kubelet hands over to liveness
 * the moment startup passes, so a startup probe that passes before the member can answer (the
 * client port accepts connections before the WAL replay) leaves a long replay to liveness: each
 * pass is followed at once by a liveness attempt, which must pass too.
 */
async function restartProblems(m: Member, i: number, what: string): Promise<string[]> {
  await m.cluster.stopMember(i);
  m.cluster.startMember(i);
  let last: Outcome | undefined;
  let early: Outcome | undefined;
  try {
    await waitFor(
      async () => {
        last = await probe(m, i, probes.startup);
        if (!last.ok) return false;
        const live = await probe(m, i, probes.liveness);
        if (!live.ok) early ??= live;
        return live.ok;
      },
      { timeoutMs: 45_000, intervalMs: 50, what },
    );
  } catch (e) {
    return [
      `member ${i} startup (${describeProbe(probes.startup)}) ${(e as Error).message.replace(/ \(last value.*$/, '')}; last answer: ${last?.detail}`,
    ];
  }
  const problems = early
    ? [
        `member ${i} startup (${describeProbe(probes.startup)}) passed while liveness (${describeProbe(probes.liveness)}) failed: ${early.detail}`,
      ]
    : [];
  return [...problems, ...(await failingProbes(m, i))];
}

/** Member i's leader flag from its own status (maintenance Status answers without a quorum). */
async function leaderIndex(m: Member): Promise<number> {
  for (let i = 0; i < m.cluster.size; i++) {
    const one = createEtcdConnection({ endpoints: [m.cluster.clientUrl(i)], deadlineMs: 2000 });
    try {
      const s = await one.client.maintenance.status(one.deadline());
      if (String(s.leader) === String(s.header.member_id)) return i;
    } finally {
      one.close();
    }
  }
  throw new Error('no member says it leads');
}

beforeAll(() => {
  probes = chartProbes();
});

describe('(a) NOSPACE raised: every member stays live and ready (issue 28 point 2)', () => {
  let m: Member;
  let etcd: EtcdConnection;

  beforeAll(async () => {
    m = await startCluster('nospace', 4 * 1024 * 1024);
    etcd = createEtcdConnection({ endpoints: m.cluster.endpoints, deadlineMs: 5000 });
  }, 90_000);

  afterAll(async () => {
    etcd?.close();
    await stopCluster(m);
  });

  it('fills the 4 MiB quota until etcd refuses writes, then every member passes readiness and liveness; a member restarted under the alarm starts', async () => {
    const value = Buffer.alloc(256 * 1024, 'n');
    let refusal = '';
    for (let k = 0; k < 64 && !refusal; k++) {
      try {
        await etcd.kv.put(`probes/fill/${k}`).value(value);
      } catch (e) {
        refusal = (e as Error).message;
      }
    }
    expect(refusal).toMatch(/database space exceeded/);
    await waitFor(
      async () => {
        return (await clusterAlarms(etcd)).some((a) => a.alarm === 'NOSPACE');
      },
      { what: 'the NOSPACE alarm to be raised' },
    );

    const problems: string[] = [];
    for (let i = 0; i < m.cluster.size; i++) problems.push(...(await failingProbes(m, i)));
    // A member restarting with the alarm raised (the alarm is in its store) starts.
    problems.push(...(await restartProblems(m, 4, 'the startup probe of member 4, restarted under NOSPACE')));
    expect(problems).toEqual([]);
  }, 120_000);
});

describe('(b) three of five members stopped: the two left stay live and ready (issue 28 point 2)', () => {
  let m: Member;

  beforeAll(async () => {
    m = await startCluster('quorum');
  }, 90_000);

  afterAll(() => stopCluster(m));

  it('with the leader and two more gone the two left pass readiness and liveness throughout, and a member restarted without quorum passes its startup probe', async () => {
    const leader = await leaderIndex(m);
    const gone = [leader, ...[0, 1, 2, 3, 4].filter((i) => i !== leader).slice(0, 2)];
    const left = [0, 1, 2, 3, 4].filter((i) => !gone.includes(i));
    await Promise.all(gone.map((i) => m.cluster.stopMember(i)));

    // The quorum is really lost: a linearizable read on a member left times out.
    const one = createEtcdConnection({ endpoints: [m.cluster.clientUrl(left[0]!)], deadlineMs: 2000 });
    await expect(one.kv.get('probes/any').string()).rejects.toThrow();
    one.close();

    // Over a readiness failure window, every attempt of every probe passes on both (the kubelet
    // needs failureThreshold failures in a row to act; a pass of every attempt leaves no doubt).
    const problems: string[] = [];
    const windowMs = threshold(probes.readiness) * periodMs(probes.readiness);
    const checks = left.flatMap((i) =>
      (
        [
          ['readiness', probes.readiness],
          ['liveness', probes.liveness],
        ] as const
      ).map(async ([kind, p]) => {
        const failed = (await sample((q) => probe(m, i, q), p, 1000, forMs(windowMs))).filter((s) => !s.ok);
        if (failed.length) problems.push(`member ${i} ${kind} (${describeProbe(p)}) failed ${failed.length} times: ${failed[0]!.detail}`);
      }),
    );
    await Promise.all(checks);

    // A member restarted while the quorum is lost (a pod rescheduled in the outage) replays its WAL
    // and starts without a leader.
    const restarted = left[1]!;
    problems.push(...(await restartProblems(m, restarted, `the startup probe of member ${restarted}, restarted without quorum`)));
    expect(problems).toEqual([]);
    // Still no quorum: what passed, passed without one.
    const again = createEtcdConnection({ endpoints: [m.cluster.clientUrl(restarted)], deadlineMs: 2000 });
    await expect(again.kv.get('probes/any').string()).rejects.toThrow();
    again.close();
  }, 150_000);
});

describe('(c) a defragmentation under writes: liveness does not reach its failureThreshold (issue 28 point 2)', () => {
  let m: Member;
  let etcd: EtcdConnection;

  beforeAll(async () => {
    m = await startCluster('defrag');
    etcd = createEtcdConnection({ endpoints: m.cluster.endpoints, deadlineMs: 10_000 });
  }, 90_000);

  afterAll(async () => {
    etcd?.close();
    await stopCluster(m);
  });

  it('defragments the leader (db of some MiB) while 8 writers run; liveness never fails failureThreshold times in a row', async () => {
    // 24 MiB of 8 KiB values, a half rewritten and compacted away: a db of ~50 MiB, fragmented.
    const value = Buffer.alloc(8192, 'd');
    const keys = 3072;
    for (let k = 0; k < keys; k += 64)
      await Promise.all(Array.from({ length: 64 }, (_, j) => etcd.kv.put(`probes/defrag/${k + j}`).value(value)));
    for (let k = 0; k < keys; k += 128)
      await Promise.all(Array.from({ length: 64 }, (_, j) => etcd.kv.put(`probes/defrag/${k + j}`).value(value)));
    const leader = await leaderIndex(m);
    const member = createEtcdConnection({ endpoints: [m.cluster.clientUrl(leader)], deadlineMs: 120_000 });
    try {
      const before = await member.client.maintenance.status(member.deadline(5000));
      await etcd.client.kv.compact({ revision: before.header.revision, physical: true }, etcd.deadline());
      const dbBefore = Number(before.dbSize);

      let writing = true;
      let writes = 0;
      const writers = Array.from({ length: 8 }, async (_, w) => {
        for (let k = 0; writing; k++) {
          await etcd.kv
            .put(`probes/load/${w}/${k % 50}`)
            .value(Buffer.alloc(1024, 'w'))
            .then(
              () => writes++,
              () => undefined,
            );
        }
      });
      await waitFor(() => writes > 50, { timeoutMs: 30_000, what: 'the writers to run' });

      let defragMs = 0;
      const defrag = (async () => {
        const t = Date.now();
        await member.client.maintenance.defragment(member.deadline());
        defragMs = Date.now() - t;
      })();
      // Sample liveness through the defragmentation and a little after it.
      let sampling = true;
      const sampler = sample(
        (q) => probe(m, leader, q),
        probes.liveness,
        100,
        () => sampling,
      );
      const writesBefore = writes;
      await defrag;
      await new Promise((r) => setTimeout(r, 1000)); // the answers held up by the defrag arrive
      sampling = false;
      const all = await sampler;
      writing = false;
      await Promise.all(writers);
      const after = await member.client.maintenance.status(member.deadline(5000));

      const longestMs = longestFailingStretch(all);
      const slowest = Math.max(...all.map((s) => s.endedAt - s.startedAt));
      const budgetMs = (threshold(probes.liveness) - 1) * periodMs(probes.liveness);
      const mib = (n: number) => (n / 1024 / 1024).toFixed(1);
      console.log(
        `defrag of member ${leader}: ${defragMs} ms, db ${mib(dbBefore)} -> ${mib(Number(after.dbSize))} MiB, ${writes - writesBefore} writes during it; ` +
          `liveness (${describeProbe(probes.liveness)}): ${all.length} attempts, slowest ${slowest} ms, failures ${all.filter((s) => !s.ok).length}, ` +
          `longest failing stretch ${longestMs} ms (kubelet acts at ${budgetMs} ms)`,
      );
      expect(Number(after.dbSize)).toBeLessThan(dbBefore); // it did defragment
      expect(writes).toBeGreaterThan(writesBefore); // under writes
      expect(longestMs).toBeLessThan(budgetMs);
    } finally {
      member.close();
    }
  }, 150_000);
});
