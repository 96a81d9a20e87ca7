/**
 * Issue 26.1: behind the ingress, per-IP rate limits key on the address the ingress saw, never on
 * what a client writes in X-Forwarded-For. Debian's nginx stands in for ingress-nginx (it appends
 * to X-Forwarded-For and sets X-Forwarded-Proto) in front of a gateway with TRUST_PROXY_HOPS=1.
 * Clients connect from distinct loopback addresses (127.0.0.5, .6, ...), so "the address nginx saw"
 * differs from the gateway's socket peer (nginx, 127.0.0.1) and from every forged value.
 * One gateway instance on purpose: the limits are per instance, and what is under test is how
 * an instance derives the client's address.
 */
import { startNginxProxy, startPrivateStack, stopPrivateStack, waitFor, type NginxProxy, type Stack } from '@ticketcd/testing';
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { ulid } from 'ulid';
import { GATEWAY_TEST_ENV } from './api-client.js';

const LOGIN_PER_IP = 5;

let stack: Stack;
let proxy: NginxProxy;

beforeAll(async () => {
  stack = await startPrivateStack({
    services: ['gateway'],
    env: {
      ...GATEWAY_TEST_ENV,
      TRUST_PROXY_HOPS: '1',
      // No refill within the test (one attempt per 12 minutes), and per-user limits out of the way.
      RATE_LOGIN_PER_IP: `${LOGIN_PER_IP}/3600`,
      RATE_LOGIN_PER_USER: '1000/60',
    },
  });
  proxy = await startNginxProxy(new URL(stack.gatewayUrl!).host);
}, 180_000);

afterAll(async () => {
  await proxy?.stop();
  await stopPrivateStack(stack);
});

interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** A POST from the loopback address `from` (the client's own address, as the proxy sees it). */
function post(base: string, route: string, body: unknown, from: string, headers: Record<string, string> = {}): Promise<Reply> {
  const url = new URL(route, base);
  const data = JSON.stringify(body);
  const options: https.RequestOptions = {
    method: 'POST',
    localAddress: from,
    agent: false,
    timeout: 15_000,
    // The proxy's certificate is self-signed.
    rejectUnauthorized: false,
    headers: { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(data)), ...headers },
  };
  return new Promise((resolve, reject) => {
    const onReply = (res: http.IncomingMessage) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
      res.on('error', reject);
    };
    const req = url.protocol === 'https:' ? https.request(url, options, onReply) : http.request(url, options, onReply);
    req.on('timeout', () => req.destroy(new Error(`POST ${url.href} timed out`)));
    req.on('error', reject);
    req.end(data);
  });
}

const badLogin = (from: string, headers: Record<string, string> = {}) =>
  post(
    proxy.httpUrl,
    '/api/auth/login',
    { username: `probe.${ulid().slice(-8).toLowerCase()}`, password: 'not the password' },
    from,
    headers,
  );

/** The gateway's request log line of the request with this X-Request-Id. */
function requestLogLine(requestId: string): { req: Record<string, unknown>; res: Record<string, unknown> } | undefined {
  for (const gateway of stack.services) {
    for (const line of fs.readFileSync(gateway.logFile, 'utf8').split('\n')) {
      if (!line.includes(requestId)) continue;
      try {
        const entry = JSON.parse(line) as { req?: Record<string, unknown>; res?: Record<string, unknown> };
        if (entry.req?.id === requestId && entry.res) return { req: entry.req, res: entry.res };
      } catch {
        // not a JSON line
      }
    }
  }
  return undefined;
}

describe('client addresses behind a reverse proxy (issue 26.1)', () => {
  it('a client forging a different X-Forwarded-For on every request through the proxy still hits its own per-IP limit; another client does not', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < LOGIN_PER_IP + 3; i++) {
      statuses.push((await badLogin('127.0.0.5', { 'x-forwarded-for': `1.2.3.${i + 1}, 5.6.7.${i + 1}` })).status);
    }
    expect(statuses).toEqual([...Array<number>(LOGIN_PER_IP).fill(401), 429, 429, 429]);
    // The limit is the forger's, not the proxy's: a client at another address still gets its answer.
    expect((await badLogin('127.0.0.6')).status).toBe(401);
    expect((await badLogin('127.0.0.6', { 'x-forwarded-for': '127.0.0.5' })).status).toBe(401);
  });

  it('the gateway uses and logs the address the proxy saw, not a forged one nor the proxy itself', async () => {
    const forged = `forged-${ulid()}`;
    const plain = `plain-${ulid()}`;
    expect((await badLogin('127.0.0.7', { 'x-forwarded-for': '203.0.113.9', 'x-request-id': forged })).status).toBe(401);
    expect((await badLogin('127.0.0.7', { 'x-request-id': plain })).status).toBe(401);
    // 4xx answers are always logged (warn).
    await waitFor(() => requestLogLine(forged) !== undefined && requestLogLine(plain) !== undefined, {
      timeoutMs: 10_000,
      what: 'both requests in the gateway log',
    });
    for (const id of [forged, plain]) {
      expect(requestLogLine(id)!.req).toMatchObject({ id, clientAddress: '127.0.0.7', remoteAddress: '127.0.0.1' });
    }
  });

  it("COOKIE_SECURE=auto: Secure over the proxy's TLS, not for a client claiming X-Forwarded-Proto: https over plain http", async () => {
    const username = `secure.${ulid().slice(-8).toLowerCase()}`;
    const account = { username, password: 'a long passphrase' };
    expect((await post(proxy.httpUrl, '/api/auth/register', account, '127.0.0.8')).status).toBe(201);
    const overTls = await post(proxy.httpsUrl, '/api/auth/login', account, '127.0.0.8');
    expect(overTls.status).toBe(200);
    expect(overTls.headers['set-cookie']?.[0]).toMatch(/; Secure/);
    const claimed = await post(proxy.httpUrl, '/api/auth/login', account, '127.0.0.8', { 'x-forwarded-proto': 'https' });
    expect(claimed.status).toBe(200);
    expect(claimed.headers['set-cookie']?.[0]).not.toMatch(/Secure/);
  });
});
