/**
 * Issue 15: client TLS to etcd (ETCD_TLS_CA_FILE / _CERT_FILE / _KEY_FILE, https endpoints) with
 * auth on. A real etcd 3.5 member of its own serving https with client-certificate auth, certs
 * made here with openssl: the setup tool and a service's connection (its user, its role) work
 * over TLS, cluster status reaches the member over TLS too, and without the CA nothing connects.
 */
import { baseServiceConfig, loadConfig } from '@ticketcd/config';
import { applyEtcdAuth } from '@ticketcd/deploy';
import { checkQuorum, clusterStatus, createEtcdConnection, type EtcdTlsFiles } from '@ticketcd/etcd';
import { prefixes, SERVICE_NAMES, type ServiceName } from '@ticketcd/keys';
import { findBinary, findFreePortBlock, startProcess, stopProcess, type ManagedProcess } from '@ticketcd/stack';
import { waitFor } from '@ticketcd/testing';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

let dir: string;
let etcd: ManagedProcess | undefined;
let endpoint: string;
let tls: Required<EtcdTlsFiles>;
const passwords = Object.fromEntries(SERVICE_NAMES.map((s) => [s, `tls-${s}`])) as Record<ServiceName, string>;

function openssl(...args: string[]) {
  execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
}

/** A CA, a server certificate for 127.0.0.1 and a client certificate, all signed by the CA. */
function makeCerts() {
  openssl(
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-keyout',
    'ca.key',
    '-out',
    'ca.crt',
    '-days',
    '1',
    '-subj',
    '/CN=ticketcd-test-ca',
  );
  for (const [name, ext] of [
    ['server', 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth'],
    ['client', 'extendedKeyUsage=clientAuth'],
  ] as const) {
    fs.writeFileSync(path.join(dir, `${name}.ext`), `${ext}\n`);
    openssl('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${name}`);
    openssl(
      'x509',
      '-req',
      '-in',
      `${name}.csr`,
      '-CA',
      'ca.crt',
      '-CAkey',
      'ca.key',
      '-CAcreateserial',
      '-out',
      `${name}.crt`,
      '-days',
      '1',
      '-extfile',
      `${name}.ext`,
    );
  }
}

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ticketcd-etcd-tls-'));
  makeCerts();
  const base = await findFreePortBlock(4);
  endpoint = `https://127.0.0.1:${base}`;
  const f = (n: string) => path.join(dir, n);
  etcd = startProcess(
    'etcd-tls',
    findBinary('etcd'),
    [
      '--name=tls0',
      `--data-dir=${f('data')}`,
      `--listen-client-urls=${endpoint}`,
      `--advertise-client-urls=${endpoint}`,
      `--listen-peer-urls=http://127.0.0.1:${base + 1}`,
      `--initial-advertise-peer-urls=http://127.0.0.1:${base + 1}`,
      `--initial-cluster=tls0=http://127.0.0.1:${base + 1}`,
      `--cert-file=${f('server.crt')}`,
      `--key-file=${f('server.key')}`,
      `--trusted-ca-file=${f('ca.crt')}`,
      '--client-cert-auth',
    ],
    { logFile: f('etcd.log') },
  );
  tls = { caFile: f('ca.crt'), certFile: f('client.crt'), keyFile: f('client.key') };
  const probe = createEtcdConnection({ endpoints: [endpoint], deadlineMs: 1000, tls });
  try {
    await waitFor(() => probe.kv.get('x').exec(), { timeoutMs: 20_000, what: 'etcd serving https' });
  } finally {
    probe.close();
  }
}, 60_000);

afterAll(async () => {
  if (etcd) await stopProcess(etcd);
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('etcd over TLS with auth (issue 15)', () => {
  it('the setup tool and a service user work over TLS; cluster status too; no CA, no connection', async () => {
    const result = await applyEtcdAuth({ endpoints: [endpoint], tls, rootPassword: 'tls-root', passwords, deadlineMs: 3000 });
    expect(result.wasEnabled).toBe(false);

    // What a service does with ETCD_TLS_* and its user: config validated, files read, connected.
    const config = loadConfig(baseServiceConfig, {
      ETCD_ENDPOINTS: endpoint,
      NATS_URL: 'nats://127.0.0.1:4222',
      ETCD_USERNAME: 'orders',
      ETCD_PASSWORD: passwords.orders,
      ETCD_TLS_CA_FILE: tls.caFile,
      ETCD_TLS_CERT_FILE: tls.certFile,
      ETCD_TLS_KEY_FILE: tls.keyFile,
    });
    const orders = createEtcdConnection({
      endpoints: config.ETCD_ENDPOINTS,
      deadlineMs: 3000,
      auth: { username: config.ETCD_USERNAME!, password: config.ETCD_PASSWORD! },
      tls: { caFile: config.ETCD_TLS_CA_FILE, certFile: config.ETCD_TLS_CERT_FILE, keyFile: config.ETCD_TLS_KEY_FILE },
    });
    try {
      await orders.kv.put('purchase:ana:ev-1:01JDQ3Z6X8M2N4P6R8T0V2W4Y6').value('{}').exec();
      await expect(orders.kv.put('ticket:x').value('1').exec()).rejects.toThrow('etcdserver: permission denied');
      expect((await checkQuorum(orders, 2000, prefixes.svcOf('orders'))).ok).toBe(true);
      const status = await clusterStatus(orders, 2000);
      expect(status.members.map((m) => [m.reachable, m.error])).toEqual([[true, undefined]]);
      expect(status.quorum).toBe(true);
    } finally {
      orders.close();
    }

    // Without the CA the server's certificate is not trusted: nothing gets through.
    const noCa = createEtcdConnection({
      endpoints: [endpoint],
      deadlineMs: 1500,
      auth: { username: 'orders', password: passwords.orders },
    });
    try {
      await expect(noCa.kv.get('purchase:x').exec()).rejects.toThrow();
    } finally {
      noCa.close();
    }
  });
});
