/**
 * Issue 30: the rendered chart, booted. `helm template` of the chart's defaults; each pod started
 * as processes in its own network namespace with the rendered command, args, env, volumes and
 * security context (libs/testing/src/chart-boot): init containers and the auth Job in order, the
 * rendered probes gating readiness, Services as addresses with ready endpoints, cluster DNS as
 * hosts files, a Kubernetes API for the programs that call it (with the rendered RBAC).
 *
 * It shows: etcd forms its cluster from the rendered flags with peer TLS; the auth Job applies
 * the roles; NATS forms its cluster; every service passes its rendered readiness probe as its own
 * etcd user; a buyer flow through the gateway Service; an etcd member rescheduled with its data
 * and with an empty volume (rejoins); a Deployment rolled under load with no failed request; and
 * three broken renders caught (a probe path, an env variable, an etcd flag).
 */
import { ApiClient, BootCluster, netnsNotPermitted, renderChart, waitFor, type K8sObject } from '@ticketcd/testing';
import { Etcd3 } from 'etcd3';
import fs from 'node:fs';
import path from 'node:path';
import { ulid } from 'ulid';

const NAMESPACE = 'ticketcd';
const SERVICES = ['catalog', 'gateway', 'inventory', 'notifier', 'orders', 'search-indexer'];
const notPermitted = netnsNotPermitted();
if (notPermitted) console.warn(`chart boot skipped: network namespaces are not permitted here (${notPermitted})`);
const suite = notPermitted ? describe.skip : describe;

let objects: K8sObject[];
let cluster: BootCluster;
let root: Etcd3;
const LOG = path.join('tmp', 'chart-boot.log');

const podIps = (workload: string, kind: 'StatefulSet' | 'Deployment' = 'StatefulSet') =>
  cluster.podsOfWorkload(kind, workload).map((p) => p.ip);
const secret = (name: string, key: string) => {
  const v = cluster.store.secretData(name)?.[key];
  if (v === undefined) throw new Error(`Secret ${name} has no ${key}`);
  return v;
};
const etcdRoot = () =>
  new Etcd3({
    hosts: podIps('ticketcd-etcd').map((ip) => `http://${ip}:2379`),
    auth: { username: 'root', password: secret('ticketcd-etcd-root', 'password') },
    dialTimeout: 3000,
  });
const members = async () => (await root.cluster.memberList({ linearizable: true })).members;
const clone = <T>(o: T): T => structuredClone(o);
suite('the rendered chart, booted as processes in network namespaces (issue 30)', () => {
  beforeAll(async () => {
    fs.mkdirSync(path.dirname(LOG), { recursive: true });
    fs.writeFileSync(LOG, '');
    objects = await renderChart({ release: 'ticketcd', namespace: NAMESPACE });
    cluster = await BootCluster.start({
      id: 'cb',
      objects,
      namespace: NAMESPACE,
      repoRoot: process.cwd(),
      // The controllers' and pods' story, for a failure's post-mortem.
      log: (l) => fs.appendFileSync(LOG, `${new Date().toISOString()} ${l}\n`),
    });
    try {
      await cluster.waitSettled(200_000);
    } catch (e) {
      console.error(`the boot's log: ${LOG}\n${cluster?.describeAll() ?? ''}`);
      throw e;
    }
    root = etcdRoot();
  }, 240_000);

  afterAll(async () => {
    root?.close();
    await cluster?.stop();
  }, 60_000);

  it('etcd forms its cluster from the rendered flags, with peer TLS; the auth Job applied the roles', async () => {
    const list = await members();
    expect(list).toHaveLength(5);
    for (const m of list) {
      expect(m.isLearner).toBe(false);
      expect(m.peerURLs).toEqual([
        expect.stringMatching(/^https:\/\/ticketcd-etcd-\d\.ticketcd-etcd-headless\.ticketcd\.svc\.cluster\.local:2380$/),
      ]);
    }
    // The Job's ensure-secrets made the Secrets through the API, under its Role.
    expect(cluster.api.requests.filter((r) => r.verb === 'create' && r.status === 201).length).toBeGreaterThan(0);
    const roles = (await root.getRoles()).map((r) => r.name);
    for (const s of SERVICES) expect(roles).toContain(s);
    const users = (await root.getUsers()).map((u) => u.name);
    for (const s of SERVICES) expect(users).toContain(s);
  });

  it('NATS forms its three-server cluster with JetStream', async () => {
    for (const ip of podIps('ticketcd-nats')) {
      const routez = (await (await fetch(`http://${ip}:8222/routez`)).json()) as { num_routes: number };
      expect(routez.num_routes).toBeGreaterThanOrEqual(2);
      const jsz = (await (await fetch(`http://${ip}:8222/jsz`)).json()) as { meta_cluster?: { cluster_size?: number; leader?: string } };
      expect(jsz.meta_cluster?.cluster_size).toBe(3);
    }
  });

  it('every service passes its rendered readiness probe as its own etcd user', async () => {
    for (const s of SERVICES) {
      const pods = cluster.podsOfWorkload('Deployment', `ticketcd-${s}`);
      expect(pods).toHaveLength(2);
      for (const p of pods) expect(p.runtime.ready).toBe(true);
      const dep = cluster.store.get('Deployment', `ticketcd-${s}`)!;
      const env = dep.spec.template.spec.containers[0].env as { name: string; value?: string }[];
      expect(env.find((e) => e.name === 'ETCD_USERNAME')?.value).toBe(s);
    }
    // Each instance registered itself (a write its own role permits).
    const registered = await root.getAll().prefix('svc:').keys();
    for (const s of SERVICES) expect(registered.filter((k) => k.startsWith(`svc:${s}:`))).toHaveLength(2);
    // And the chart's own `helm test` pod passes.
    const test = objects.find((o) => o.kind === 'Pod')!;
    const run = await cluster.runPod(test);
    expect(run).toMatchObject({ phase: 'Succeeded' });
  });

  let base: string;
  let eventId: string;
  let buyer: ApiClient;

  it('a buyer flow works through the gateway Service', async () => {
    base = cluster.serviceUrl('ticketcd-gateway');
    const admin = new ApiClient(base);
    // The first admin is created once etcd lets the gateway write (in the background of its start).
    await waitFor(
      async () =>
        (
          await admin.post('/api/auth/login', {
            username: secret('ticketcd-admin', 'username'),
            password: secret('ticketcd-admin', 'password'),
          })
        ).status === 200,
      { what: 'the first admin (from the ticketcd-admin Secret) logs in', timeoutMs: 30_000 },
    );
    // Catalog seeds the static lists once etcd lets it write (in the background of its start).
    const lists = await waitFor(
      async () => {
        const l = (await admin.get('/api/static')).body;
        return l?.locations?.length && l.eventTypes?.length && l.ticketTypes?.length ? l : null;
      },
      { what: 'the static lists seeded', timeoutMs: 30_000 },
    );
    const created = await admin.post('/api/events', {
      name: 'Booted Chart Night',
      description: 'Sold through the rendered chart.',
      location: lists.locations[0],
      type: lists.eventTypes[0],
      date: new Date(Date.now() + 20 * 86400_000).toISOString(),
      maxPerOrder: 4,
      ticketTypes: [{ type: lists.ticketTypes[0], total: 5000, price: 2500 }],
    });
    expect([created.status, created.body]).toEqual([201, expect.objectContaining({ eventId: expect.any(String) })]);
    eventId = created.body.eventId;
    buyer = new ApiClient(base);
    expect(
      (
        await buyer.post('/api/auth/register', {
          username: 'bo.boot',
          password: 'correct horse battery',
          name: 'Bo',
          email: 'bo@example.com',
        })
      ).status,
    ).toBe(201);
    expect((await buyer.post('/api/auth/login', { username: 'bo.boot', password: 'correct horse battery' })).status).toBe(200);
    const bought = await buyer.request('POST', '/api/orders', {
      body: { eventId, lines: [{ type: lists.ticketTypes[0], quantity: 2 }] },
      headers: { 'idempotency-key': ulid() },
    });
    expect(bought.status).toBe(201);
    expect(bought.body).toMatchObject({ status: 'accepted' });
    await waitFor(
      async () => (await buyer.get('/api/me/purchases')).body.items?.find((p: { orderId: string }) => p.orderId === bought.body.orderId),
      {
        what: 'the purchase in my purchases',
      },
    );
  });

  it('an etcd member rescheduled with its data dir rejoins as itself; with an empty one the membership program rejoins it', async () => {
    const before = await members();
    const idOf = (list: typeof before, pod: string) => list.find((m) => m.name === pod)?.ID;
    await root.put('boot/marker').value('kept');

    // With its data (another node, same volume): a new IP, the same member.
    const oldIp = cluster.pods.get('ticketcd-etcd-2')!.ip;
    await cluster.deletePod('ticketcd-etcd-2');
    await cluster.waitRolledOut('StatefulSet', 'ticketcd-etcd', 90_000);
    expect(cluster.pods.get('ticketcd-etcd-2')!.ip).not.toBe(oldIp);
    expect(idOf(await members(), 'ticketcd-etcd-2')).toBe(idOf(before, 'ticketcd-etcd-2'));

    // With an empty volume: the stale id removed, re-added as a learner, promoted.
    await cluster.deletePod('ticketcd-etcd-3', { wipeClaims: true });
    await cluster.waitRolledOut('StatefulSet', 'ticketcd-etcd', 120_000);
    const after = await waitFor(
      async () => {
        const list = await members();
        const m = list.find((x) => x.name === 'ticketcd-etcd-3');
        return list.length === 5 && m && !m.isLearner ? list : null;
      },
      { what: 'ticketcd-etcd-3 a voting member again', timeoutMs: 60_000 },
    );
    expect(idOf(after, 'ticketcd-etcd-3')).not.toBe(idOf(before, 'ticketcd-etcd-3'));
    // Nothing acknowledged was lost, and the rejoined member has it.
    const rejoined = new Etcd3({
      hosts: `http://${cluster.pods.get('ticketcd-etcd-3')!.ip}:2379`,
      auth: { username: 'root', password: secret('ticketcd-etcd-root', 'password') },
    });
    try {
      await waitFor(async () => (await rejoined.get('boot/marker').serializable(true).string()) === 'kept', {
        what: 'the rejoined member caught up',
      });
    } finally {
      rejoined.close();
    }
    await root.delete().key('boot/marker');
  }, 240_000);

  it('a Deployment rolls (preStop, then SIGTERM) under load with no failed request', async () => {
    const lists = (await buyer.get('/api/static')).body;
    // Several buyers, so orders keep flowing under the per-user rate.
    const buyers = [buyer];
    for (const n of [1, 2, 3, 4, 5]) {
      const b = new ApiClient(base);
      expect(
        (
          await b.post('/api/auth/register', {
            username: `bo.roll${n}`,
            password: 'correct horse battery',
            name: 'Bo',
            email: `bo${n}@example.com`,
          })
        ).status,
      ).toBe(201);
      expect((await b.post('/api/auth/login', { username: `bo.roll${n}`, password: 'correct horse battery' })).status).toBe(200);
      buyers.push(b);
    }
    const before = cluster.podsOfWorkload('Deployment', 'ticketcd-gateway').map((p) => p.name);
    let stop = false;
    const failures: string[] = [];
    let ok = 0;
    let sold = 0;
    const send = async (what: () => Promise<{ status: number; body: unknown }>) => {
      const r = await what().catch((e: Error) => ({ status: 0, body: e.message }));
      if (r.status >= 200 && r.status < 300) ok++;
      else failures.push(`${r.status} ${JSON.stringify(r.body).slice(0, 200)}`);
      return r.status;
    };
    // The gateway allows a user 20 orders per 10 s per instance: stay under it, so any refusal is the rollout's.
    const sentAt = new Map<ApiClient, number[]>();
    const withinOrderRate = (b: ApiClient) => {
      const now = Date.now();
      const recent = (sentAt.get(b) ?? []).filter((t) => t > now - 10_000);
      if (recent.length >= 15) return false;
      sentAt.set(b, [...recent, now]);
      return true;
    };
    const load = async (n: number) => {
      for (let i = 0; !stop; i++) {
        const b = buyers[(n + i) % buyers.length]!;
        await send(() => b.get(`/api/events/${eventId}`));
        await send(() => b.get('/api/events'));
        if (i % 3 === 0 && withinOrderRate(b)) {
          const status = await send(() =>
            b.request('POST', '/api/orders', {
              body: { eventId, lines: [{ type: lists.ticketTypes[0], quantity: 1 }] },
              headers: { 'idempotency-key': ulid() },
            }),
          );
          if (status === 201) sold++;
        }
      }
    };
    const loaders = [0, 1, 2, 3].map(load);
    await waitFor(() => ok > 20, { what: 'load running' });
    await cluster.rolloutRestart('Deployment', 'ticketcd-gateway');
    await cluster.waitRolledOut('Deployment', 'ticketcd-gateway', 120_000);
    const atEnd = ok;
    await waitFor(() => ok > atEnd + 20, { what: 'load served by the new pods' });
    stop = true;
    await Promise.all(loaders);
    const after = cluster.podsOfWorkload('Deployment', 'ticketcd-gateway').map((p) => p.name);
    expect(after.filter((n) => before.includes(n))).toEqual([]);
    expect(failures).toEqual([]);
    expect(sold).toBeGreaterThan(5);
  }, 180_000);

  describe('a broken render is caught (the rollout stalls naming why, the old pods keep serving)', () => {
    /**
     * Applies a broken copy of a live object: its rollout stalls on the new pod, whose status says
     * `why`, while the pods of the live template stay ready; then the live object goes back.
     */
    async function caught(
      kind: 'Deployment' | 'StatefulSet',
      name: string,
      breakIt: (o: K8sObject) => void,
      why: RegExp,
      timeoutMs: number,
    ) {
      const good = clone(cluster.store.get(kind, name)!);
      const bad = clone(good);
      breakIt(bad);
      const replicas: number = good.spec.replicas;
      const before = cluster.podsOfWorkload(kind, name).map((p) => p.name);
      await cluster.apply([bad]);
      try {
        expect(await cluster.waitStalled(kind, name, timeoutMs)).toMatch(why);
        // The strategy kept the old pods (a StatefulSet: all but the one it replaced). Whether they
        // pass their probes at this instant is the machine's load, not the rollout's.
        const kept = cluster.podsOfWorkload(kind, name).filter((p) => before.includes(p.name));
        expect(kept.length).toBeGreaterThanOrEqual(kind === 'Deployment' ? replicas : replicas - 1);
      } finally {
        await cluster.apply([good]);
      }
    }

    it('a readiness probe path', async () => {
      await caught(
        'Deployment',
        'ticketcd-gateway',
        (d) => {
          d.spec.template.spec.containers[0].readinessProbe.httpGet.path = '/readyz-typo';
        },
        /readiness[^\n]*404/i,
        90_000,
      );
      // The old pods served all along, and the rollout back completes.
      await waitFor(async () => (await fetch(`${cluster.serviceUrl('ticketcd-gateway')}/readyz`)).status === 200, {
        what: 'the gateway Service answering from the old pods',
      });
      await cluster.waitRolledOut('Deployment', 'ticketcd-gateway', 60_000);
    }, 120_000);

    it('an env variable (the etcd user a service logs in as)', async () => {
      // (A wrong ETCD_ENDPOINTS is not one: by design (issue 13.9) etcd out of reach leaves an
      // instance ready, answering 503s that name etcd; a refused login makes it unready.)
      await caught(
        'Deployment',
        'ticketcd-catalog',
        (d) => {
          const c = d.spec.template.spec.containers[0];
          c.env = c.env.map((e: { name: string }) => (e.name === 'ETCD_USERNAME' ? { name: 'ETCD_USERNAME', value: 'catalogue' } : e));
        },
        /readiness[^\n]*503/i,
        90_000,
      );
      await cluster.waitRolledOut('Deployment', 'ticketcd-catalog', 60_000);
    }, 120_000);

    it('an etcd flag (the config file it is given)', async () => {
      await caught(
        'StatefulSet',
        'ticketcd-etcd',
        (s) => {
          const etcd = s.spec.template.spec.containers.find((c: { name: string }) => c.name === 'etcd');
          etcd.args = etcd.args.map((a: string) => a.replace('--config-file=/run/etcd/etcd.yaml', '--config-file=/run/etcd/etcd.yml'));
        },
        /ticketcd-etcd-4[\s\S]*etcd: [^\n]*(last exit [1-9]|restarts [1-9])/,
        90_000,
      );
      // As Kubernetes documents for a StatefulSet: after reverting the template, delete the broken pod.
      await cluster.deletePod('ticketcd-etcd-4');
      await cluster.waitRolledOut('StatefulSet', 'ticketcd-etcd', 90_000);
      expect(await members()).toHaveLength(5);
    }, 180_000);
  });
});
