/**
 * Issue 15: client TLS to etcd (ETCD_TLS_CA_FILE / _CERT_FILE / _KEY_FILE, https endpoints) with
 * auth on. A real etcd 3.5 member of its own serving https with client-certificate auth, certs
 * made here with openssl: the setup tool and a service's connection (its user, its role) work
 * over TLS, cluster status reaches the member over TLS too, and without the CA nothing connects.
 * Issue 29.3: a running connection takes up a client certificate renewed in its mounted files
 * (new client CA, the old certificate revoked) without a restart.
 */
import { baseServiceConfig, loadConfig } from '@ticketcd/config';
import { applyEtcdAuth } from '@ticketcd/deploy';
import { checkQuorum, clusterStatus, createEtcdConnection, type EtcdTlsFiles } from '@ticketcd/etcd';
import { prefixes, SERVICE_NAMES, type ServiceName } from '@ticketcd/keys';
import { findBinary, findFreePortBlock, jwtAuthToken, startProcess, stopProcess, type ManagedProcess } from '@ticketcd/stack';
import { waitFor } from '@ticketcd/testing';
import { execFileSync } from 'node:child_process';
import type { Watcher } from 'etcd3';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

let dir: string;
let etcd: ManagedProcess | undefined;
let endpoint: string;
let tls: Required<Pick<EtcdTlsFiles, 'caFile' | 'certFile' | 'keyFile'>>;
const passwords = Object.fromEntries(SERVICE_NAMES.map((s) => [s, `tls-${s}`])) as Record<ServiceName, string>;

function openssl(...args: string[]) {
  execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
}

/** A self-signed CA `<name>.crt` / `<name>.key`. */
function makeCa(name: string) {
  openssl(
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-keyout',
    `${name}.key`,
    '-out',
    `${name}.crt`,
    '-days',
    '1',
    '-subj',
    `/CN=${name}`,
  );
}

/** `<name>.crt` / `<name>.key` signed by CA `<ca>`. */
function issue(name: string, ca: string, cn: string, ext: string) {
  fs.writeFileSync(path.join(dir, `${name}.ext`), `${ext}\n`);
  openssl('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${cn}`);
  openssl(
    'x509',
    '-req',
    '-in',
    `${name}.csr`,
    '-CA',
    `${ca}.crt`,
    '-CAkey',
    `${ca}.key`,
    '-CAcreateserial',
    '-out',
    `${name}.crt`,
    '-days',
    '1',
    '-extfile',
    `${name}.ext`,
  );
}

/** A CA, a server certificate for 127.0.0.1 and a client certificate, all signed by the CA. */
function makeCerts() {
  makeCa('ca');
  issue('server', 'ca', 'server', 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth');
  issue('client', 'ca', 'client', 'extendedKeyUsage=clientAuth');
  // The CA etcd checks client certificates with (swapped by the rotation test).
  fs.copyFileSync(path.join(dir, 'ca.crt'), path.join(dir, 'trusted-ca.crt'));
}

let etcdArgs: string[];
let starts = 0;
function startEtcd() {
  etcd = startProcess('etcd-tls', findBinary('etcd'), etcdArgs, { logFile: path.join(dir, `etcd-${starts++}.log`) });
}

/** Waits until the member answers over TLS with these files (Status needs no user). */
async function waitServing(files: EtcdTlsFiles) {
  const probe = createEtcdConnection({ endpoints: [endpoint], deadlineMs: 1000, tls: files });
  try {
    await waitFor(() => probe.client.maintenance.status(probe.deadline()), { timeoutMs: 20_000, what: 'etcd serving https' });
  } finally {
    probe.close();
  }
}

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ticketcd-etcd-tls-'));
  makeCerts();
  const base = await findFreePortBlock(4);
  endpoint = `https://127.0.0.1:${base}`;
  const f = (n: string) => path.join(dir, n);
  etcdArgs = [
    '--name=tls0',
    `--data-dir=${f('data')}`,
    `--listen-client-urls=${endpoint}`,
    `--advertise-client-urls=${endpoint}`,
    `--listen-peer-urls=http://127.0.0.1:${base + 1}`,
    `--initial-advertise-peer-urls=http://127.0.0.1:${base + 1}`,
    `--initial-cluster=tls0=http://127.0.0.1:${base + 1}`,
    `--cert-file=${f('server.crt')}`,
    `--key-file=${f('server.key')}`,
    `--trusted-ca-file=${f('trusted-ca.crt')}`,
    '--client-cert-auth',
    // JWT tokens, as deployed (issue 29.3): with simple ones the restart below invalidated the
    // connection's token and etcd cancelled its watch for good ("invalid auth token").
    `--auth-token=${jwtAuthToken(dir)}`,
  ];
  startEtcd();
  tls = { caFile: f('ca.crt'), certFile: f('client.crt'), keyFile: f('client.key') };
  await waitServing(tls);
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

  it('issue 29.3: a running connection takes up a renewed client certificate (new client CA, the old one revoked) without a restart; its watch keeps delivering', async () => {
    // Idempotent: auth as the first test left it, also when this test runs alone.
    await applyEtcdAuth({ endpoints: [endpoint], tls, rootPassword: 'tls-root', passwords, deadlineMs: 3000 });
    const f = (n: string) => path.join(dir, n);
    // The Secret as the kubelet mounts it: each file a symlink into ..data, itself a symlink to a
    // versioned directory that an update replaces in one rename.
    const mount = f('mounted-secret');
    const files = { 'ca.crt': 'ca.crt', 'tls.crt': 'client.crt', 'tls.key': 'client.key' };
    const publish = (version: number, from: Record<string, string>) => {
      const d = path.join(mount, `..v${version}`);
      fs.mkdirSync(d, { recursive: true });
      for (const [name, src] of Object.entries(from)) fs.copyFileSync(f(src), path.join(d, name));
      fs.symlinkSync(`..v${version}`, path.join(mount, '..data_tmp'));
      fs.renameSync(path.join(mount, '..data_tmp'), path.join(mount, '..data'));
    };
    publish(1, files);
    for (const name of Object.keys(files)) fs.symlinkSync(`..data/${name}`, path.join(mount, name));

    const orders = createEtcdConnection({
      endpoints: [endpoint],
      deadlineMs: 3000,
      auth: { username: 'orders', password: passwords.orders },
      tls: {
        caFile: path.join(mount, 'ca.crt'),
        certFile: path.join(mount, 'tls.crt'),
        keyFile: path.join(mount, 'tls.key'),
        reloadIntervalMs: 200,
      },
    });
    const seen: string[] = [];
    let watcher: Watcher | undefined;
    try {
      await orders.kv.put('purchase:rot:1').value('before').exec();
      watcher = await orders.kv.watch().prefix('purchase:rot:').create();
      watcher.on('put', (kv) => seen.push(kv.value.toString()));

      // Renewal with a new client CA (CN = the etcd user, as the chart issues them): published in
      // the mount, and etcd restarted trusting only the new CA, so the old certificate is revoked.
      makeCa('ca2');
      issue('client2', 'ca2', 'orders', 'extendedKeyUsage=clientAuth');
      publish(2, { ...files, 'tls.crt': 'client2.crt', 'tls.key': 'client2.key' });
      fs.copyFileSync(f('ca2.crt'), f('trusted-ca.crt'));
      await stopProcess(etcd!);
      startEtcd();
      await waitServing({ caFile: f('ca.crt'), certFile: f('client2.crt'), keyFile: f('client2.key') });
      const old = createEtcdConnection({ endpoints: [endpoint], deadlineMs: 1500, tls });
      try {
        await expect(old.client.maintenance.status(old.deadline())).rejects.toThrow();
      } finally {
        old.close();
      }

      // The same connection object, never restarted: its next connections use the new files.
      await waitFor(() => orders.kv.put('purchase:rot:2').value('after').exec(), {
        timeoutMs: 20_000,
        intervalMs: 200,
        what: 'the running connection writing with the renewed certificate',
      });
      expect(await orders.kv.get('purchase:rot:1').string()).toBe('before');
      // The per-member clients it makes (cluster status) use the renewed set too.
      expect((await clusterStatus(orders, 2000)).members.map((m) => [m.reachable, m.error])).toEqual([[true, undefined]]);
      await waitFor(() => seen.includes('after'), { timeoutMs: 20_000, what: 'the watch made before the renewal delivering after it' });
    } finally {
      await watcher?.cancel().catch(() => undefined);
      orders.close();
    }
  }, 90_000);
});
