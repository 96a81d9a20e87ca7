/**
 * Issue 29.2 acceptance, "secrets nobody regenerates": `etcd-secrets.js ensure` (the etcd-auth
 * Job's init container, run here from dist/ as the tools image runs it) against a small fake of
 * the Kubernetes API's Secret endpoints on 127.0.0.1 (node:http; the real @kubernetes/client-node
 * through a kubeconfig). The fake keeps the Secrets and every request: the program may only GET
 * and POST (create); a PUT, PATCH or DELETE is a failure. Checked: the first run creates every
 * absent Secret; a second run creates and changes nothing; a Secret that exists is kept as it is
 * (also when another run wins the create race: 409); a Secret the flags do not name (an
 * existingSecret in the chart) is never touched; the JWT keys sign and verify RS256; every
 * certificate verifies against the CA with the names the chart asks for; and a real etcd 3.5
 * serves its client port with the generated server certificate, requiring client certificates,
 * and accepts the generated `tools` client certificate (CN root).
 */
import { createEtcdConnection } from '@ticketcd/etcd';
import { SERVICE_NAMES } from '@ticketcd/keys';
import { findBinary, findFreePortBlock, startProcess, stopProcess, type ManagedProcess } from '@ticketcd/stack';
import { waitFor } from '@ticketcd/testing';
import { execFile } from 'node:child_process';
import { createPrivateKey, createPublicKey, sign, verify, X509Certificate } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const NS = 'shop';
const TOKEN = 'ensure-test-token';
const DENIED = 'no-role-token';
const CLI = 'libs/tooling/deploy/dist/etcd-secrets.js';

type Secret = {
  metadata: { name: string; namespace: string; labels?: Record<string, string> };
  type?: string;
  data: Record<string, string>;
};

/** The fake API server: Secrets of one namespace, and every request it was sent. */
class FakeApiServer {
  secrets = new Map<string, Secret>();
  requests: string[] = [];
  /** Names whose create loses a race: another run's Secret appears just before, and the create gets 409. */
  raceOn = new Map<string, Record<string, string>>();
  private server = http.createServer((req, res) => void this.handle(req, res));
  url = '';

  async start() {
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }
  async stop() {
    this.server.closeAllConnections();
    await new Promise((r) => this.server.close(r));
  }
  put(name: string, data: Record<string, string>, labels?: Record<string, string>) {
    const enc = Object.fromEntries(Object.entries(data).map(([k, v]) => [k, Buffer.from(v).toString('base64')]));
    this.secrets.set(name, { metadata: { name, namespace: NS, ...(labels ? { labels } : {}) }, type: 'Opaque', data: enc });
  }
  value(name: string, key: string): string {
    const s = this.secrets.get(name);
    if (!s?.data[key]) throw new Error(`no ${key} in Secret ${name}`);
    return Buffer.from(s.data[key], 'base64').toString('utf8');
  }
  writes = () => this.requests.filter((r) => !r.startsWith('GET '));

  private send(res: http.ServerResponse, status: number, body: unknown) {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  }
  private status(res: http.ServerResponse, code: number, reason: string, message: string) {
    this.send(res, code, { kind: 'Status', apiVersion: 'v1', status: 'Failure', reason, message, code });
  }
  private async handle(req: http.IncomingMessage, res: http.ServerResponse) {
    const url = new URL(req.url!, 'http://fake');
    let raw = '';
    for await (const c of req) raw += c;
    // The token of a service account without the Role: 403, as RBAC answers.
    if (req.headers.authorization === `Bearer ${DENIED}`) return this.status(res, 403, 'Forbidden', 'secrets is forbidden: RBAC');
    if (req.headers.authorization !== `Bearer ${TOKEN}`) return this.status(res, 401, 'Unauthorized', 'no token');
    const one = new RegExp(`^/api/v1/namespaces/${NS}/secrets/([^/]+)$`).exec(url.pathname);
    const name = one?.[1] ?? (JSON.parse(raw || '{}') as Secret).metadata?.name;
    this.requests.push(`${req.method} ${name ?? url.pathname}`);
    if (one && req.method === 'GET') {
      const s = this.secrets.get(one[1]!);
      return s
        ? this.send(res, 200, { apiVersion: 'v1', kind: 'Secret', ...s })
        : this.status(res, 404, 'NotFound', `secrets "${one[1]}" not found`);
    }
    if (url.pathname === `/api/v1/namespaces/${NS}/secrets` && req.method === 'POST') {
      const body = JSON.parse(raw) as Secret;
      const lost = this.raceOn.get(body.metadata.name);
      if (lost) this.put(body.metadata.name, lost, { winner: 'other-run' });
      if (this.secrets.has(body.metadata.name))
        return this.status(res, 409, 'AlreadyExists', `secrets "${body.metadata.name}" already exists`);
      this.secrets.set(body.metadata.name, body);
      return this.send(res, 201, body);
    }
    this.status(res, 405, 'MethodNotAllowed', `not in the fake: ${req.method} ${url.pathname}`);
  }
}

let fake: FakeApiServer;
let dir: string;
const kubeconfigOf = (token: string) => path.join(dir, `kubeconfig-${token}`);

function run(args: string[], env: Record<string, string> = {}) {
  return promisify(execFile)(process.execPath, [CLI, 'ensure', `--namespace=${NS}`, ...args], {
    env: { PATH: process.env.PATH ?? '', HOME: dir, KUBECONFIG: kubeconfigOf(TOKEN), ADMIN_USERNAME: 'boss', ...env },
    timeout: 60_000,
  }).then(
    (r) => ({ code: 0, stdout: r.stdout, stderr: r.stderr }),
    (e: { code?: number; stdout?: string; stderr?: string }) => ({ code: e.code ?? -1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' }),
  );
}

// The flags the chart renders (templates/etcd/_secrets.tpl) for release `ticketcd` in `shop`, TLS from the Job.
const HEADLESS = 'ticketcd-etcd-headless';
const WILD = [`*.${HEADLESS}`, `*.${HEADLESS}.${NS}.svc`, `*.${HEADLESS}.${NS}.svc.cluster.local`];
const SERVER_SANS = [
  'ticketcd-etcd',
  `ticketcd-etcd.${NS}.svc`,
  `ticketcd-etcd.${NS}.svc.cluster.local`,
  ...WILD,
  'localhost',
  '127.0.0.1',
];
const CLIENTS = [...SERVICE_NAMES.map((s) => [`ticketcd-etcd-client-${s}`, s] as const), ['ticketcd-etcd-client-tools', 'root'] as const];
const ALL_FLAGS = [
  '--label=app.kubernetes.io/part-of=ticketcd',
  '--root=ticketcd-etcd-root',
  '--users=ticketcd-etcd-users',
  `--services=${SERVICE_NAMES.join(',')}`,
  '--jwt=ticketcd-etcd-jwt',
  '--admin=ticketcd-admin',
  '--ca=ticketcd-etcd-ca',
  '--peer=ticketcd-etcd-peer-tls',
  `--peer-san=${WILD.join(',')}`,
  '--server=ticketcd-etcd-server-tls',
  `--server-san=${SERVER_SANS.join(',')}`,
  ...CLIENTS.map(([secret, cn]) => `--client=${secret}:${cn}`),
];
// What the chart copies for the etcd-auth container (--copy), into the test's directory.
const copies = () => [
  `--copy=ticketcd-etcd-users:${path.join(dir, 'copy', 'etcd-users')}`,
  `--copy=ticketcd-etcd-client-tools:${path.join(dir, 'copy', 'etcd-tls')}`,
];
const ALL_NAMES = [
  'ticketcd-etcd-root',
  'ticketcd-etcd-users',
  'ticketcd-etcd-jwt',
  'ticketcd-admin',
  'ticketcd-etcd-ca',
  'ticketcd-etcd-peer-tls',
  'ticketcd-etcd-server-tls',
  ...CLIENTS.map(([secret]) => secret),
];

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ticketcd-etcd-secrets-'));
  fake = new FakeApiServer();
  await fake.start();
  for (const token of [TOKEN, DENIED])
    fs.writeFileSync(
      kubeconfigOf(token),
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'Config',
        // http: the client refuses plain http unless TLS verification is off (as the scaler's test does).
        clusters: [{ name: 'fake', cluster: { server: fake.url, 'insecure-skip-tls-verify': true } }],
        users: [{ name: 'job', user: { token } }],
        contexts: [{ name: 'fake', context: { cluster: 'fake', user: 'job', namespace: NS } }],
        'current-context': 'fake',
      }),
    );
});

afterAll(async () => {
  await fake?.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('etcd-secrets ensure against a fake Kubernetes API (issue 29.2)', () => {
  let afterFirst: string;
  let second: { code: number; stdout: string };

  it('first run: every absent Secret is created once, labelled, with random values of the contract; only GET and POST', async () => {
    const r = await run([...ALL_FLAGS, ...copies()]);
    expect([r.code, r.stderr]).toEqual([0, '']);
    expect([...fake.secrets.keys()].sort()).toEqual([...ALL_NAMES].sort());
    expect(fake.writes().sort()).toEqual(ALL_NAMES.map((n) => `POST ${n}`).sort());
    for (const s of fake.secrets.values()) {
      expect([s.metadata.name, s.metadata.labels]).toEqual([
        s.metadata.name,
        { 'app.kubernetes.io/part-of': 'ticketcd', 'app.kubernetes.io/managed-by': 'ticketcd-etcd-auth' },
      ]);
    }
    expect(fake.value('ticketcd-etcd-root', 'password')).toMatch(/^[A-Za-z0-9]{32}$/);
    const users = fake.secrets.get('ticketcd-etcd-users')!;
    expect(Object.keys(users.data).sort()).toEqual([...SERVICE_NAMES].sort());
    const pws = SERVICE_NAMES.map((s) => fake.value('ticketcd-etcd-users', s));
    for (const p of pws) expect(p).toMatch(/^[A-Za-z0-9]{32}$/);
    expect(new Set(pws).size).toBe(pws.length);
    expect(fake.value('ticketcd-admin', 'username')).toBe('boss');
    expect(fake.value('ticketcd-admin', 'password')).toMatch(/^[A-Za-z0-9]{24}$/);
    expect(fake.secrets.get('ticketcd-etcd-server-tls')!.type).toBe('kubernetes.io/tls');
    // No value reaches the log.
    for (const s of fake.secrets.values())
      for (const k of Object.keys(s.data)) expect(r.stdout).not.toContain(Buffer.from(s.data[k]!, 'base64').toString().slice(0, 24));
    afterFirst = JSON.stringify([...fake.secrets.entries()]);
  });

  it('second run (every sync, every Job retry): nothing created, nothing changed', async () => {
    fake.requests = [];
    const r = await run([...ALL_FLAGS, ...copies()]);
    second = r;
    expect([r.code, r.stderr]).toEqual([0, '']);
    expect(fake.writes()).toEqual([]);
    expect(JSON.stringify([...fake.secrets.entries()])).toBe(afterFirst);
    expect(r.stdout).toContain(`0 created, ${ALL_NAMES.length} kept`);
  });

  it("--copy (as the chart passes it) writes the Secrets' keys as 0400 files, again over them on a rerun (the Job pod mounts no Secret volume)", () => {
    const out = path.join(dir, 'copy', 'etcd-users');
    for (const s of SERVICE_NAMES) {
      expect(fs.readFileSync(path.join(out, s), 'utf8')).toBe(fake.value('ticketcd-etcd-users', s));
      expect(fs.statSync(path.join(out, s)).mode & 0o777).toBe(0o400);
    }
    expect(fs.readdirSync(path.join(dir, 'copy', 'etcd-tls')).sort()).toEqual(['ca.crt', 'tls.crt', 'tls.key']);
    expect(fs.readFileSync(path.join(dir, 'copy', 'etcd-tls', 'tls.key'), 'utf8')).toBe(
      fake.value('ticketcd-etcd-client-tools', 'tls.key'),
    );
    // The second run (a restarted init container) copied over its own read-only files.
    expect(second.stdout).toContain(`copied Secret ticketcd-etcd-users to ${out} (${SERVICE_NAMES.length} keys)`);
  });

  it('the JWT key pair is RS256 material node:crypto loads: PKCS#8 private, SPKI public, they sign and verify', () => {
    const key = createPrivateKey(fake.value('ticketcd-etcd-jwt', 'jwt.key'));
    const pub = createPublicKey(fake.value('ticketcd-etcd-jwt', 'jwt.pub'));
    expect(fake.value('ticketcd-etcd-jwt', 'jwt.key')).toMatch(/^-----BEGIN PRIVATE KEY-----\n/);
    expect(fake.value('ticketcd-etcd-jwt', 'jwt.pub')).toMatch(/^-----BEGIN PUBLIC KEY-----\n/);
    expect([key.asymmetricKeyType, key.asymmetricKeyDetails?.modulusLength]).toEqual(['rsa', 2048]);
    const payload = Buffer.from('{"username":"orders","revision":7}');
    const signature = sign('sha256', payload, key);
    expect(verify('sha256', payload, pub, signature)).toBe(true);
    expect(verify('sha256', Buffer.from('{"username":"root"}'), pub, signature)).toBe(false);
  });

  it('every certificate verifies against the CA, carries the names and usages of its role, and matches its key', () => {
    const ca = new X509Certificate(fake.value('ticketcd-etcd-ca', 'tls.crt'));
    expect(ca.ca).toBe(true);
    expect(ca.verify(ca.publicKey)).toBe(true);
    const leaf = (name: string) => {
      const cert = new X509Certificate(fake.value(name, 'tls.crt'));
      expect([name, cert.verify(ca.publicKey), cert.ca, cert.checkIssued(ca)]).toEqual([name, true, false, true]);
      expect(fake.value(name, 'ca.crt')).toBe(fake.value('ticketcd-etcd-ca', 'tls.crt'));
      const key = createPrivateKey(fake.value(name, 'tls.key'));
      expect(createPublicKey(key).export({ type: 'spki', format: 'pem' })).toBe(cert.publicKey.export({ type: 'spki', format: 'pem' }));
      return cert;
    };
    const server = leaf('ticketcd-etcd-server-tls');
    for (const host of [
      'ticketcd-etcd',
      `ticketcd-etcd.${NS}.svc.cluster.local`,
      `ticketcd-etcd-3.${HEADLESS}.${NS}.svc.cluster.local`,
      'localhost',
    ])
      expect([host, server.checkHost(host)]).toEqual([host, expect.any(String)]);
    expect(server.checkIP('127.0.0.1')).toBe('127.0.0.1');
    expect(server.checkHost('ticketcd-etcd.other.svc.cluster.local')).toBeUndefined();
    expect(server.keyUsage).toEqual(expect.arrayContaining(['1.3.6.1.5.5.7.3.1', '1.3.6.1.5.5.7.3.2']));
    const peer = leaf('ticketcd-etcd-peer-tls');
    expect(peer.checkHost(`ticketcd-etcd-0.${HEADLESS}.${NS}.svc.cluster.local`)).toBeDefined();
    expect(peer.checkHost(`ticketcd-etcd-0.${HEADLESS}.${NS}.svc`)).toBeDefined();
    expect(peer.checkHost('ticketcd-etcd')).toBeUndefined();
    expect(peer.keyUsage).toEqual(expect.arrayContaining(['1.3.6.1.5.5.7.3.1', '1.3.6.1.5.5.7.3.2']));
    for (const [secret, cn] of CLIENTS) {
      const client = leaf(secret);
      expect([secret, client.subject]).toEqual([secret, `CN=${cn}`]);
      expect([secret, client.keyUsage]).toEqual([secret, ['1.3.6.1.5.5.7.3.2']]);
      expect(client.subjectAltName).toBeUndefined();
    }
  });

  it('a Secret that exists is kept as it is (not ours, not labelled); a name the flags leave out (existingSecret) is never touched', async () => {
    const before = fake.secrets;
    fake.secrets = new Map();
    try {
      fake.put('ticketcd-etcd-root', { password: 'chosen-by-a-person' });
      fake.requests = [];
      // The chart leaves out --users when etcd.auth.existingSecret is set, --admin with admin.existingSecret.
      const r = await run(['--root=ticketcd-etcd-root', '--jwt=ticketcd-etcd-jwt']);
      expect([r.code, r.stderr]).toEqual([0, '']);
      expect(fake.value('ticketcd-etcd-root', 'password')).toBe('chosen-by-a-person');
      expect(fake.secrets.get('ticketcd-etcd-root')!.metadata.labels).toBeUndefined();
      expect(fake.requests).toEqual(['GET ticketcd-etcd-root', 'GET ticketcd-etcd-jwt', 'POST ticketcd-etcd-jwt']);
      expect([...fake.secrets.keys()].sort()).toEqual(['ticketcd-etcd-jwt', 'ticketcd-etcd-root']);
    } finally {
      fake.secrets = before;
    }
  });

  it("two Jobs at once: a create that gets 409 keeps the winner's Secret, and certificates are signed by the winner's CA", async () => {
    const before = fake.secrets;
    fake.secrets = new Map();
    try {
      // "The other run": the CA of the first run wins the race.
      const winnerCa = Buffer.from(before.get('ticketcd-etcd-ca')!.data['tls.crt']!, 'base64').toString();
      const winnerKey = Buffer.from(before.get('ticketcd-etcd-ca')!.data['tls.key']!, 'base64').toString();
      fake.raceOn.set('ticketcd-etcd-ca', { 'tls.crt': winnerCa, 'tls.key': winnerKey });
      fake.raceOn.set('ticketcd-etcd-root', { password: 'the-other-run' });
      const r = await run(['--root=ticketcd-etcd-root', '--ca=ticketcd-etcd-ca', '--client=ticketcd-etcd-client-tools:root']);
      expect([r.code, r.stderr]).toEqual([0, '']);
      expect(r.stdout).toContain('ticketcd-etcd-ca was created meanwhile by another run');
      expect(fake.value('ticketcd-etcd-root', 'password')).toBe('the-other-run');
      expect(fake.value('ticketcd-etcd-ca', 'tls.crt')).toBe(winnerCa);
      const tools = new X509Certificate(fake.value('ticketcd-etcd-client-tools', 'tls.crt'));
      expect(tools.verify(new X509Certificate(winnerCa).publicKey)).toBe(true);
      expect(fake.value('ticketcd-etcd-client-tools', 'ca.crt')).toBe(winnerCa);
    } finally {
      fake.raceOn.clear();
      fake.secrets = before;
    }
  });

  it('a Secret of the contract without a key it needs: exit 78 naming it, nothing changed; RBAC refusal: exit 69 naming RBAC; nothing to copy yet: 75', async () => {
    const before = fake.secrets;
    fake.secrets = new Map();
    try {
      fake.put('ticketcd-etcd-users', { orders: 'x' });
      fake.requests = [];
      const [r, denied, missing] = await Promise.all([
        run(['--users=ticketcd-etcd-users', `--services=${SERVICE_NAMES.join(',')}`]),
        run(['--root=ticketcd-etcd-root'], { KUBECONFIG: kubeconfigOf(DENIED) }),
        run([`--copy=ticketcd-etcd-nothing:${path.join(dir, 'copy', 'x')}`]),
      ]);
      // A Secret to copy that is not there yet (cert-manager still issuing): 75, the kubelet retries.
      expect([missing.code, missing.stderr]).toEqual([75, 'etcd-secrets: Secret ticketcd-etcd-nothing does not exist (yet): retrying\n']);
      expect(r.code).toBe(78);
      expect(r.stdout).toContain('Secret ticketcd-etcd-users exists without key(s)');
      expect(r.stdout).toContain('gateway');
      expect(fake.writes()).toEqual([]);
      expect(fake.value('ticketcd-etcd-users', 'orders')).toBe('x');
      expect(denied.code).toBe(69);
      expect(denied.stderr).toMatch(/HTTP 403.*RBAC/);
    } finally {
      fake.secrets = before;
    }
  });
});

describe('the generated TLS material in a real etcd 3.5 (issue 29.2)', () => {
  let etcd: ManagedProcess | undefined;
  afterAll(async () => {
    if (etcd) await stopProcess(etcd);
  });

  it('etcd serves https with the server certificate and client-cert-auth; the tools certificate (CN root) is accepted, no client certificate is not', async () => {
    const tlsDir = path.join(dir, 'tls');
    fs.mkdirSync(tlsDir);
    const file = (secret: string, key: string) => {
      const f = path.join(tlsDir, `${secret}-${key}`);
      fs.writeFileSync(f, fake.value(secret, key));
      return f;
    };
    const base = await findFreePortBlock(2);
    const endpoint = `https://127.0.0.1:${base}`;
    etcd = startProcess(
      'etcd-secrets-tls',
      findBinary('etcd'),
      [
        '--name=s0',
        `--data-dir=${path.join(dir, 'etcd-data')}`,
        `--listen-client-urls=${endpoint}`,
        `--advertise-client-urls=https://localhost:${base}`,
        `--listen-peer-urls=http://127.0.0.1:${base + 1}`,
        `--initial-advertise-peer-urls=http://127.0.0.1:${base + 1}`,
        `--initial-cluster=s0=http://127.0.0.1:${base + 1}`,
        `--cert-file=${file('ticketcd-etcd-server-tls', 'tls.crt')}`,
        `--key-file=${file('ticketcd-etcd-server-tls', 'tls.key')}`,
        `--trusted-ca-file=${file('ticketcd-etcd-server-tls', 'ca.crt')}`,
        '--client-cert-auth',
      ],
      { logFile: path.join(dir, 'etcd.log') },
    );
    const tls = {
      caFile: file('ticketcd-etcd-client-tools', 'ca.crt'),
      certFile: file('ticketcd-etcd-client-tools', 'tls.crt'),
      keyFile: file('ticketcd-etcd-client-tools', 'tls.key'),
    };
    const conn = createEtcdConnection({ endpoints: [endpoint], deadlineMs: 2000, tls });
    try {
      await waitFor(() => conn.kv.put('issue29/secrets').value('ok').options(conn.deadline()).exec(), {
        timeoutMs: 30_000,
        what: 'etcd serving https',
      });
      expect(await conn.kv.get('issue29/secrets').options(conn.deadline()).string()).toBe('ok');
    } finally {
      conn.close();
    }
    // The CA alone (no client certificate): refused by client-cert-auth.
    const anonymous = createEtcdConnection({ endpoints: [endpoint], deadlineMs: 2000, tls: { caFile: tls.caFile } });
    try {
      await expect(anonymous.kv.get('issue29/secrets').options(anonymous.deadline()).string()).rejects.toThrow();
    } finally {
      anonymous.close();
    }
  }, 60_000);
});
