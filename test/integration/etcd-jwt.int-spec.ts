/**
 * Issue 29.3: etcd auth tokens are JWTs (RS256), in the local stack as in the chart. A token is
 * checked with the public key by any member, so a member restart does not invalidate it; simple
 * tokens live in each member's memory and a restarted member refused them ("invalid auth
 * token": the client hang fixed before this issue started there). Private stack (auth on), etcd's
 * JSON gateway with one token, so that no client library's re-login hides a refused token.
 */
import { applyEtcdAuth } from '@ticketcd/deploy';
import { SERVICE_NAMES, type ServiceName } from '@ticketcd/keys';
import { startPrivateStack, stopPrivateStack, waitFor, type Stack } from '@ticketcd/testing';

let stack: Stack;
const passwords = Object.fromEntries(SERVICE_NAMES.map((s) => [s, `jwt-${s}`])) as Record<ServiceName, string>;

beforeAll(async () => {
  stack = await startPrivateStack({ services: false });
  await applyEtcdAuth({ endpoints: stack.etcd.endpoints, rootPassword: 'jwt-root', passwords, deadlineMs: 3000 });
}, 120_000);

afterAll(async () => {
  await stopPrivateStack(stack);
});

const b64 = (s: string) => Buffer.from(s).toString('base64');

/** One call of etcd's JSON gateway on member i: the answer, or etcd's error message. */
async function call(i: number, route: string, body: object, token?: string): Promise<{ ok: boolean; body: Record<string, unknown> }> {
  const res = await fetch(`${stack.etcd.clientUrl(i)}/v3/${route}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: token } : {}) },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(5000),
  });
  const json = (await res.json()) as Record<string, unknown>;
  return { ok: res.ok && json.error === undefined, body: json };
}

describe('etcd auth tokens (issue 29.3)', () => {
  it('a JWT from one member is accepted by the others and by a restarted member', async () => {
    const login = await call(0, 'auth/authenticate', { name: 'orders', password: passwords.orders });
    expect(login.ok).toBe(true);
    const token = String(login.body.token);
    // header.payload.signature, signed with the stack's key pair.
    expect(token.split('.')).toHaveLength(3);
    const put = (i: number, n: number) => call(i, 'kv/put', { key: b64(`purchase:jwt:${n}`), value: b64('x') }, token);
    expect((await put(0, 1)).body).not.toHaveProperty('error');
    expect((await put(2, 2)).body).not.toHaveProperty('error');

    // Member 0, which issued the token, restarts (a rollout, an eviction).
    await stack.etcd.stopMember(0);
    stack.etcd.startMember(0);
    await stack.etcd.waitHealthy(30_000, [0]);
    // It answers as soon as it has caught up; the same token is still good there and elsewhere.
    const after = await waitFor(
      async () => {
        const r = await put(0, 3);
        return /not capable|too many requests|timed out|leader/i.test(String(r.body.error ?? '')) ? null : r;
      },
      { timeoutMs: 20_000, what: 'member 0 answering after its restart' },
    );
    expect(after.body).not.toHaveProperty('error');
    expect((await put(1, 4)).body).not.toHaveProperty('error');
  }, 90_000);
});
