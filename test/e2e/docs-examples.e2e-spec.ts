/**
 * Issue 13.11: every documented example works as written on a fresh stack, i.e. what
 * `bash scripts/stack.sh` starts: every service, the static lists the catalog seeds, the demo
 * data of `ticketctl populate --config data/demo.yaml --seed 1`. The README's HTTP examples are read from README.md and run with bash
 * and curl (only $B and the <placeholders> are filled in); the OpenAPI document's request
 * examples are sent to the gateway, and every ticket type, location and event type any example
 * names must be in the seeded static lists.
 */
import { Rpc } from '@ticketcd/contracts';
import { ALL_SERVICES } from '@ticketcd/stack';
import { seedDemo, startStackWithClients, waitFor, type StackClients } from '@ticketcd/testing';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const ADMIN = { username: 'admin', password: 'admin-test-password' };
let clients: StackClients;
let base: string;
let workDir: string;

/* eslint-disable @typescript-eslint/no-explicit-any -- JSON replies and OpenAPI objects */

/** A JSON client keeping one session cookie. */
class Client {
  cookie = '';
  async send(method: string, url: string, body?: unknown, headers: Record<string, string> = {}): Promise<{ status: number; body: any }> {
    const res = await fetch(base + url, {
      method,
      headers: {
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        ...(this.cookie ? { cookie: this.cookie } : {}),
        ...headers,
      },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(30_000),
    });
    const set = res.headers.getSetCookie()[0];
    if (set) this.cookie = set.split(';')[0]!;
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined };
  }
}

/** The ```bash blocks with curl under the README's "HTTP API" heading, one command per line. */
function readmeHttpExamples(): string[] {
  const md = fs.readFileSync(path.join(process.cwd(), 'README.md'), 'utf8');
  const start = md.indexOf('### HTTP API');
  expect(start).toBeGreaterThan(-1);
  const section = md.slice(start, md.indexOf('\n## ', start));
  const blocks = [...section.matchAll(/```bash\n([\s\S]*?)```/g)].map((m) => m[1]!).filter((b) => /\bcurl\b/.test(b));
  expect(blocks.length).toBeGreaterThan(0);
  return blocks
    .join('\n')
    .replace(/\\\n\s*/g, ' ')
    .split('\n')
    .filter((l) => l.trim() !== '');
}

interface Run {
  command: string;
  exit: number;
  status: number;
  body: string;
}

/** The README's `npx ticketctl` lines (under "ticketctl"), comments cut. */
function readmeTicketctlExamples(): string[] {
  const md = fs.readFileSync(path.join(process.cwd(), 'README.md'), 'utf8');
  const start = md.indexOf('## ticketctl');
  expect(start).toBeGreaterThan(-1);
  const section = md.slice(start, md.indexOf('\n## ', start + 5));
  const lines = [...section.matchAll(/```bash\n([\s\S]*?)```/g)]
    .flatMap((m) => m[1]!.split('\n'))
    .filter((l) => l.startsWith('npx ticketctl'))
    .map((l) => l.replace(/\s+#.*$/, ''));
  expect(lines.length).toBeGreaterThan(5);
  return lines;
}

/** Runs one README line with bash; curl writes the HTTP status after the body. */
function runExample(command: string, stream: boolean): Promise<Run> {
  const prelude = `curl() { command curl -sS --max-time ${stream ? 3 : 15} -w '\\n%{http_code}' "$@"; }\n`;
  return new Promise((resolve) => {
    execFile(
      'bash',
      ['-c', prelude + command],
      { cwd: workDir, env: { ...process.env, B: base }, timeout: 30_000 },
      (err, stdout, stderr) => {
        const lines = stdout.trimEnd().split('\n');
        const status = Number(lines.pop());
        const exit = err ? Number((err as { code?: number }).code ?? 1) : 0;
        resolve({ command, exit, status, body: `${lines.join('\n')}${stderr ? `\nstderr: ${stderr}` : ''}` });
      },
    );
  });
}

beforeAll(async () => {
  clients = await startStackWithClients({
    services: ALL_SERVICES,
    env: { ADMIN_USERNAME: ADMIN.username, ADMIN_PASSWORD: ADMIN.password },
    // As `npm run stack` does: the launcher's control server, so the admin can scale services.
    control: true,
  });
  base = clients.stack.gatewayUrl!;
  workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ticketcd-readme-'));
  // As `npm run stack` does, then wait for the search index to hold every event.
  const demo = await seedDemo({ etcd: clients.stack.etcd.endpoints, nats: clients.stack.nats.url }, workDir);
  await waitFor(
    async () => {
      const r = await clients.rpc.client.call(Rpc.search.verify, {});
      return r.events === demo.events && r.differing === 0;
    },
    { timeoutMs: 60_000, intervalMs: 250, what: 'the search index to hold the demo events' },
  );
}, 240_000);

afterAll(async () => {
  await clients?.close();
  if (workDir) fs.rmSync(workDir, { recursive: true, force: true });
});

describe('documented examples on a fresh stack', () => {
  it("runs the README's ticketctl examples as written against the stack: every one exits 0", async () => {
    // As a user in a checkout would: data/ and node_modules/.bin (npx) at hand, files written here.
    fs.symlinkSync(path.join(process.cwd(), 'data'), path.join(workDir, 'data'));
    fs.symlinkSync(path.join(process.cwd(), 'node_modules'), path.join(workDir, 'node_modules'));
    const env = { ...process.env, ETCD_ENDPOINTS: clients.stack.etcd.endpoints.join(','), NATS_URL: clients.stack.nats.url };
    for (const line of readmeTicketctlExamples()) {
      const r = await new Promise<{ code: number; out: string }>((resolve) =>
        execFile('bash', ['-c', line], { cwd: workDir, env, timeout: 120_000, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) =>
          resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, out: `${stdout}\n${stderr}` }),
        ),
      );
      expect({ line, code: r.code, out: r.code === 0 ? '' : r.out }).toEqual({ line, code: 0, out: '' });
    }
    expect(fs.existsSync(path.join(workDir, 'report.json'))).toBe(true);
  }, 600_000);

  it("runs the README's HTTP examples as written: every one answers 2xx and the order sells", async () => {
    const lines = readmeHttpExamples();
    // $B is the stack's gateway (README: http://127.0.0.1:8080); here, this test's own.
    expect(lines[0]).toBe('B=http://127.0.0.1:8080');
    // <id> and <type>: what the listing example shows first, as a reader would copy them.
    const anon = new Client();
    const first = (await anon.send('GET', '/api/events?limit=1')).body.items[0];
    const before = (await anon.send('GET', `/api/events/${first.eventId}`)).body;
    const ticket = before.tickets[0] as { type: string; remaining: number };
    const fill = (l: string) => l.replaceAll('<id>', first.eventId).replaceAll('<type>', ticket.type);

    const runs: Run[] = [];
    for (const line of lines.slice(1)) {
      const command = fill(line);
      expect({ line, unknownPlaceholders: command.match(/<[a-z-]+>/g) ?? [] }).toEqual({ line, unknownPlaceholders: [] });
      runs.push(await runExample(command, /\bcurl -N\b/.test(command)));
    }
    for (const r of runs) {
      // A live stream never ends by itself: it is cut after 3 s (curl exit 28) and must have sent its snapshot.
      const stream = /\bcurl -N\b/.test(r.command);
      const ok = r.exit === (stream ? 28 : 0) && r.status >= 200 && r.status < 300 && (!stream || r.body.includes('event: snapshot'));
      expect({ command: r.command, ok, exit: r.exit, status: r.status, body: ok ? '' : r.body.slice(0, 500) }).toEqual({
        command: r.command,
        ok: true,
        exit: r.exit,
        status: r.status,
        body: '',
      });
    }
    // The search example shows hits, not an empty page.
    const search = runs.find((r) => r.command.includes('/api/search'));
    expect(search && JSON.parse(search.body).items.length).toBeGreaterThan(0);
    const order = runs.find((r) => r.command.includes('/api/orders'));
    expect(order).toBeDefined();
    const accepted = JSON.parse(order!.body);
    expect(accepted).toMatchObject({ status: 'accepted', eventId: first.eventId });
    const sold = accepted.lines.reduce((n: number, l: { quantity: number }) => n + l.quantity, 0);
    // The event page follows the sale within a second (issue 27: served from memory).
    const shown = async () =>
      ((await anon.send('GET', `/api/events/${first.eventId}`)).body.tickets as { type: string; remaining: number }[]).find(
        (t) => t.type === ticket.type,
      )!.remaining;
    await waitFor(async () => (await shown()) === ticket.remaining - sold, { what: 'the sale on the event page' });
  }, 120_000);

  it('accepts the OpenAPI request examples as written, and every type and location an example names is in the seeded static lists', async () => {
    const anon = new Client();
    const doc = (await anon.send('GET', '/api/docs/openapi.json')).body;
    const statics = (await anon.send('GET', '/api/static')).body as { locations: string[]; eventTypes: string[]; ticketTypes: string[] };

    // Every example (requests and replies): the static values it names.
    const named = { locations: new Set<string>(), eventTypes: new Set<string>(), ticketTypes: new Set<string>() };
    const walk = (v: any, parent?: string) => {
      if (Array.isArray(v)) return v.forEach((x) => walk(x, parent));
      if (!v || typeof v !== 'object') return;
      // An event: its location and type; a ticket line (of an event, an order, a stock level): its type.
      if (typeof v.location === 'string') named.locations.add(v.location);
      if (typeof v.location === 'string' && typeof v.type === 'string') named.eventTypes.add(v.type);
      if (['ticketTypes', 'lines', 'tickets'].includes(parent ?? '') && typeof v.type === 'string') named.ticketTypes.add(v.type);
      if (parent === 'soldByType') Object.keys(v).forEach((t) => named.ticketTypes.add(t));
      for (const [k, x] of Object.entries(v)) walk(x, k);
    };
    const examples = new Map<string, { body: any; status: number }>();
    for (const [p, ops] of Object.entries<any>(doc.paths)) {
      for (const [method, op] of Object.entries<any>(ops)) {
        const req = op.requestBody?.content?.['application/json']?.schema?.example;
        const status = Number(Object.keys(op.responses ?? {}).find((s) => s.startsWith('2')));
        if (req !== undefined) examples.set(`${method.toUpperCase()} ${p}`, { body: req, status });
        walk(req);
        // Replies: the example in the schema, or beside a $ref'd schema on the media type (errors).
        for (const r of Object.values<any>(op.responses ?? {})) {
          walk(r.content?.['application/json']?.schema?.example);
          walk(r.content?.['application/json']?.example);
        }
      }
    }
    expect(named.ticketTypes.size).toBeGreaterThan(0);
    expect(named.eventTypes.size).toBeGreaterThan(0);
    expect({
      ticketTypes: [...named.ticketTypes].filter((t) => !statics.ticketTypes.includes(t)),
      eventTypes: [...named.eventTypes].filter((t) => !statics.eventTypes.includes(t)),
      locations: [...named.locations].filter((l) => !statics.locations.includes(l)),
    }).toEqual({ ticketTypes: [], eventTypes: [], locations: [] });

    // Each request example, sent as written (ids in the path and the order's eventId: the event
    // the create example made; usernames made unique, so the README's "ana" is not taken).
    const admin = new Client();
    expect((await admin.send('POST', '/api/auth/login', ADMIN)).status).toBe(200);
    const user = new Client();
    const unique = `ex${Date.now().toString(36)}`;
    const sent = new Set<string>();
    /** Sends the documented example of `key` (changed by `patch`) and expects its documented 2xx. */
    const send = async (c: Client, key: string, url: string, patch: Record<string, unknown> = {}, headers?: Record<string, string>) => {
      expect({ key, documented: examples.has(key) }).toEqual({ key, documented: true });
      const { body, status } = examples.get(key)!;
      sent.add(key);
      const r = await c.send(key.split(' ')[0]!, url, { ...body, ...patch }, headers);
      expect({ key, status: r.status, body: r.status === status ? undefined : r.body }).toEqual({ key, status, body: undefined });
      return r.body;
    };
    await send(user, 'POST /api/auth/register', '/api/auth/register', { username: unique });
    await send(user, 'POST /api/auth/login', '/api/auth/login', { username: unique });
    const created = await send(admin, 'POST /api/events', '/api/events');
    const id = created.eventId as string;
    await send(admin, 'PATCH /api/events/{eventId}', `/api/events/${id}`);
    const firstType = examples.get('POST /api/events')!.body.ticketTypes[0].type as string;
    await send(admin, 'PUT /api/events/{eventId}/tickets/{type}', `/api/events/${id}/tickets/${firstType}`);
    await send(admin, 'PATCH /api/static/{list}', '/api/static/locations');
    const order = await send(user, 'POST /api/orders', '/api/orders', { eventId: id }, { 'Idempotency-Key': `${unique}-order` });
    expect(order).toMatchObject({ status: 'accepted', eventId: id });
    await send(user, 'PUT /api/me/subscriptions/{eventId}', `/api/me/subscriptions/${id}`);
    await send(admin, 'PUT /api/admin/services/{service}/scale', '/api/admin/services/search-indexer/scale');
    // A request example added later must be added here too.
    expect([...examples.keys()].filter((k) => !sent.has(k))).toEqual([]);
  }, 120_000);
});
