/**
 * Issue 29.3: etcd auth tokens are JWTs (RS256) in the local stack's etcd as in the chart: a
 * token is checked with the public key by any member, and stays good on a restarted member, also
 * after a raft snapshot passed its login (snapshot-count 100 here). Simple tokens live in each
 * member's memory and are re-made from the WAL on a restart; until then a restarted member refuses
 * them ("invalid auth token": test/integration/etcd-tls.int-spec.ts saw etcd3 cancel a watch for
 * good that way). The stack's EtcdCluster (three members), etcd's JSON gateway with one token, so
 * that no client library's re-login hides a refused token.
 */
import { applyEtcdAuth } from '@ticketcd/deploy';
import { SERVICE_NAMES, type ServiceName } from '@ticketcd/keys';
import { EtcdCluster, findFreePortBlock } from '@ticketcd/stack';
import { waitFor } from '@ticketcd/testing';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

let cluster: EtcdCluster;
const passwords = Object.fromEntries(SERVICE_NAMES.map((s) => [s, `jwt-${s}`])) as Record<ServiceName, string>;

beforeAll(async () => {
  const base = await findFreePortBlock(10);
  cluster = new EtcdCluster({
    dir: fs.mkdtempSync(path.join(os.tmpdir(), 'ticketcd-etcd-jwt-')),
    clientBasePort: base,
    peerBasePort: base + 5,
    size: 3,
    snapshotCount: 100,
  });
  await cluster.start();
  await applyEtcdAuth({ endpoints: cluster.endpoints, rootPassword: 'jwt-root', passwords, deadlineMs: 3000 });
}, 90_000);

afterAll(async () => {
  await cluster?.stop({ discard: true });
  if (cluster) fs.rmSync(cluster.opts.dir, { recursive: true, force: true });
});

const b64 = (s: string) => Buffer.from(s).toString('base64');

/** One call of etcd's JSON gateway on member i: its answer (with `error` when refused). */
async function call(i: number, route: string, body: object, token?: string): Promise<Record<string, unknown>> {
  const res = await fetch(`${cluster.clientUrl(i)}/v3/${route}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: token } : {}) },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(5000),
  });
  return (await res.json()) as Record<string, unknown>;
}

describe('etcd auth tokens (issue 29.3)', () => {
  it('a token from one member is accepted by the others and by a restarted member, also after a raft snapshot', async () => {
    const login = await call(0, 'auth/authenticate', { name: 'orders', password: passwords.orders });
    expect(login).not.toHaveProperty('error');
    const token = String(login.token);
    const put = (i: number, n: number) => call(i, 'kv/put', { key: b64(`purchase:jwt:${n}`), value: b64('x') }, token);
    expect(await put(0, 1)).not.toHaveProperty('error');
    expect(await put(2, 2)).not.toHaveProperty('error');
    // More than snapshot-count entries: a raft snapshot now covers the login.
    for (let n = 0; n < 150; n += 10) {
      const answers = await Promise.all(Array.from({ length: 10 }, (_, k) => put(1, 100 + n + k)));
      expect(answers.filter((a) => 'error' in a)).toEqual([]);
    }

    // Member 0, which issued the token, restarts (a rollout, an eviction).
    await cluster.stopMember(0);
    cluster.startMember(0);
    await cluster.waitHealthy(30_000, [0]);
    // It answers once caught up; the same token is good there and elsewhere.
    const after = await waitFor(
      async () => {
        const r = await put(0, 3);
        return /not capable|too many requests|timed out|leader/i.test(String(r.error ?? '')) ? null : r;
      },
      { timeoutMs: 20_000, what: 'member 0 answering after its restart' },
    );
    expect(after).not.toHaveProperty('error');
    expect(await put(1, 4)).not.toHaveProperty('error');
    // A signed token (header.payload.signature), not a simple one.
    expect(token.split('.')).toHaveLength(3);
  }, 90_000);
});
