/**
 * Issue 29.3: the certificate source behind an etcd connection takes up a renewed set from its
 * files, refuses a half-written one (new certificate, old key) and keeps the last good set, and
 * is what an etcd3 client's channels and logins use. Certificates made with openssl.
 */
import { Etcd3 } from 'etcd3';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ReloadingTls, useReloadingTls } from './tls-reload.js';

let dir: string;
const f = (n: string) => path.join(dir, n);

function selfSigned(name: string) {
  execFileSync(
    'openssl',
    [
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
    ],
    {
      cwd: dir,
      stdio: 'pipe',
    },
  );
}

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tls-reload-'));
  selfSigned('a');
  selfSigned('b');
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('ReloadingTls (issue 29.3)', () => {
  it('takes up a changed consistent set, refuses a certificate without its key and keeps the last good set', async () => {
    for (const [to, from] of [
      ['ca.crt', 'a.crt'],
      ['tls.crt', 'a.crt'],
      ['tls.key', 'a.key'],
    ])
      fs.copyFileSync(f(from!), f(to!));
    // A long interval: this test reads by hand.
    const source = new ReloadingTls({ caFile: f('ca.crt'), certFile: f('tls.crt'), keyFile: f('tls.key') }, 3_600_000);
    const identities: string[] = [];
    source.addIdentityCertificateListener((u) => identities.push(u?.certificate.toString() ?? 'none'));
    try {
      const a = fs.readFileSync(f('a.crt'));
      expect(source.credentials.certChain?.equals(a)).toBe(true);
      expect(await source.check()).toBe(false); // nothing changed

      fs.copyFileSync(f('b.crt'), f('tls.crt')); // half-way: b's certificate, a's key
      expect(await source.check()).toBe(false);
      expect(source.lastError).toMatch(/key values mismatch|private key/i);
      expect(source.credentials.certChain?.equals(a)).toBe(true);

      fs.copyFileSync(f('b.key'), f('tls.key'));
      expect(await source.check()).toBe(true);
      expect(source.reloads).toBe(1);
      expect(source.lastError).toBeNull();
      const b = fs.readFileSync(f('b.crt'));
      expect(source.credentials.certChain?.equals(b)).toBe(true);
      await new Promise((r) => process.nextTick(r));
      expect(identities).toEqual([a.toString(), b.toString()]);
    } finally {
      source.close();
    }
  });

  it('a missing file fails at start, as before', () => {
    expect(() => new ReloadingTls({ caFile: f('nope.crt') })).toThrow(/ENOENT/);
  });

  it("is what a new etcd3 client's hosts and logins use", () => {
    const source = new ReloadingTls({ caFile: f('a.crt') }, 3_600_000);
    const client = new Etcd3({ hosts: ['https://127.0.0.1:1'], credentials: source.credentials });
    try {
      useReloadingTls(client, source);
      const pool = (client as unknown as { pool: { hosts: { channelCredentials: unknown }[]; authenticator: { credentials: unknown } } })
        .pool;
      expect(pool.hosts[0]!.channelCredentials).toBe(source.channelCredentials());
      expect(pool.authenticator.credentials).toBe(source.channelCredentials());
    } finally {
      client.close();
      source.close();
    }
  });
});
