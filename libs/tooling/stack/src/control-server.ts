/**
 * The local stack's control server (issue 15.3): the gateway's `SCALER=local` adapter asks it to
 * start or drain service instances, so scaling works from the admin page without a cluster.
 * 127.0.0.1 only, and a bearer token random per stack (kept in the stack dir, mode 600, never
 * logged): another local user's process cannot start or stop ours.
 *   GET /services                    -> { services: [{ service, desired, running }] }
 *   PUT /services/<service>/scale    { replicas } -> { service, desired, running }
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';

export const CONTROL_TOKEN_FILE = 'control-token';
/** The most instances of one service a local stack runs (the admin API allows up to 20). */
export const MAX_LOCAL_INSTANCES = 20;

/** What the control server drives: the Stack (kept as an interface so it stays testable). */
export interface Scalable {
  serviceNames(): readonly string[];
  desired(service: string): number;
  running(service: string): number;
  scale(service: string, replicas: number): Promise<void>;
}

export interface ControlServer {
  url: string;
  token: string;
  close(): Promise<void>;
}

export const newControlToken = () => randomBytes(24).toString('base64url');

/** Keeps the token in `<dir>/control-token` (mode 600) for tools that want to call the server. */
export function writeControlToken(dir: string, token: string): void {
  const file = path.join(dir, CONTROL_TOKEN_FILE);
  fs.rmSync(file, { force: true });
  fs.writeFileSync(file, `${token}\n`, { mode: 0o600 });
}

function send(res: http.ServerResponse, status: number, body: unknown) {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

function authorized(header: string | undefined, token: string): boolean {
  const given = Buffer.from(header?.startsWith('Bearer ') ? header.slice(7) : '');
  const want = Buffer.from(token);
  return given.length === want.length && timingSafeEqual(given, want);
}

async function readJson(req: http.IncomingMessage): Promise<unknown> {
  let size = 0;
  const chunks: Buffer[] = [];
  for await (const c of req as AsyncIterable<Buffer>) {
    size += c.length;
    if (size > 4096) throw new Error('body too large');
    chunks.push(c);
  }
  return JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}');
}

export async function startControlServer(target: Scalable, opts: { port: number; token: string }): Promise<ControlServer> {
  const row = (service: string) => ({ service, desired: target.desired(service), running: target.running(service) });
  const server = http.createServer((req, res) => {
    void (async () => {
      if (!authorized(req.headers.authorization, opts.token)) return send(res, 401, { error: 'missing or wrong bearer token' });
      const url = new URL(req.url ?? '/', 'http://control');
      if (req.method === 'GET' && url.pathname === '/services') return send(res, 200, { services: target.serviceNames().map(row) });
      const m = /^\/services\/([a-z0-9-]+)\/scale$/.exec(url.pathname);
      if (req.method === 'PUT' && m) {
        const service = m[1]!;
        if (!target.serviceNames().includes(service)) return send(res, 404, { error: `no service "${service}" in this stack` });
        let replicas: unknown;
        try {
          replicas = ((await readJson(req)) as { replicas?: unknown }).replicas;
        } catch {
          return send(res, 400, { error: 'the body must be JSON: { "replicas": n }' });
        }
        if (!Number.isInteger(replicas) || (replicas as number) < 1 || (replicas as number) > MAX_LOCAL_INSTANCES)
          return send(res, 400, { error: `replicas must be a whole number from 1 to ${MAX_LOCAL_INSTANCES}` });
        await target.scale(service, replicas as number);
        return send(res, 200, row(service));
      }
      return send(res, 404, { error: 'not found' });
    })().catch((e: unknown) => {
      if (!res.headersSent) send(res, 500, { error: (e as Error).message });
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, '127.0.0.1', () => resolve());
  });
  return {
    url: `http://127.0.0.1:${opts.port}`,
    token: opts.token,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
