/**
 * The live streams over HTTP against a real gateway, catalog, inventory, orders and notifier on
 * a private five-member etcd cluster and JetStream (nothing mocked). Guards the issue point
 * "Live stream (SSE): /api/events/:id/live pushes remaining counts as they change; /api/me/live
 * pushes the user's alerts. Fed by JetStream or core NATS subscriptions; reconnects resume with
 * Last-Event-ID where the history allows", and that each route answers its error statuses in
 * the one error shape. The last test stops a gateway instance: it must stay last.
 */
import { seedEvent, startStackWithClients, waitFor, type StackClients } from '@ticketcd/testing';
import { ulid } from 'ulid';
import { ApiClient, GATEWAY_TEST_ENV } from './api-client.js';
import { SseClient } from './sse-client.js';

const MAX_STREAMS = 4;

let clients: StackClients;
let url: string;
let buyer: ApiClient;
const open: SseClient[] = [];

interface Snapshot {
  eventId: string;
  tickets: { type: string; total: number; remaining: number; price: number }[];
  revision: number;
}
interface Stock {
  eventId: string;
  ticketType: string;
  total: number;
  remaining: number;
  revision: number;
}
interface Alert {
  alertId: string;
  eventId: string;
  remaining: number;
  limit: number;
  at: string;
}

async function stream(path: string, opts: Parameters<typeof SseClient.open>[1] = {}, base = url) {
  const sse = await SseClient.open(base + path, opts);
  open.push(sse);
  return sse;
}

async function buy(eventId: string, lines: { type: string; quantity: number }[], who = buyer) {
  const r = await who.post('/api/orders', { eventId, lines }, { 'Idempotency-Key': ulid() });
  expect({ status: r.status, outcome: r.body?.status }).toEqual({ status: 201, outcome: 'accepted' });
  return r.body as { revision: number; remaining: Record<string, number> };
}

/** Open streams by kind, from this instance's /metrics. */
async function liveStreams(base = url): Promise<{ event: number; user: number }> {
  const text = await (await fetch(`${base}/metrics`)).text();
  const read = (kind: string) =>
    Number(new RegExp(`^ticketcd_gateway_live_streams\\{[^}]*kind="${kind}"[^}]*\\} (\\d+)`, 'm').exec(text)?.[1] ?? NaN);
  return { event: read('event'), user: read('user') };
}

async function closeAll() {
  for (const s of open.splice(0)) s.close();
  await waitFor(
    async () => {
      const n = await liveStreams();
      return n.event === 0 && n.user === 0;
    },
    { what: 'the gateway to forget closed streams' },
  );
}

beforeAll(async () => {
  clients = await startStackWithClients({
    services: ['gateway', 'catalog', 'inventory', 'orders', 'notifier'],
    env: { ...GATEWAY_TEST_ENV, SSE_HEARTBEAT_MS: '300', SSE_MAX_CLIENTS: String(MAX_STREAMS) },
  });
  url = clients.stack.gatewayUrl!;
  buyer = await new ApiClient(url).signIn('live-buyer');
}, 180_000);

afterEach(async () => {
  if (clients) await closeAll();
});

afterAll(async () => {
  await clients?.close();
});

describe('GET /api/events/:eventId/live', () => {
  // Guards: "pushes remaining counts as they change": a snapshot first (id = its revision), then
  // one stock message per change with id = revision, none the snapshot already covered.
  it('sends a snapshot, then the remaining count of each ticket type as purchases happen', async () => {
    const eventId = await seedEvent(clients.etcd, {
      tickets: [
        { type: 'general', total: 20, price: 4500 },
        { type: 'vip', total: 5, price: 12000 },
      ],
    });
    const sse = await stream(`/api/events/${eventId}/live`);
    expect(sse.status).toBe(200);
    expect(sse.headers.get('content-type')).toMatch(/^text\/event-stream/);
    expect(sse.headers.get('cache-control')).toMatch(/no-cache/);
    expect(sse.headers.get('x-accel-buffering')).toBe('no');

    const snap = await sse.next<Snapshot>((e) => e.event === 'snapshot');
    expect(sse.retry).toBe(2000);
    expect(snap.id).toBe(String(snap.data.revision));
    expect(snap.data.eventId).toBe(eventId);
    expect(Object.fromEntries(snap.data.tickets.map((t) => [t.type, t.remaining]))).toEqual({ general: 20, vip: 5 });

    const first = await buy(eventId, [{ type: 'general', quantity: 2 }]);
    const s1 = await sse.next<Stock>((e) => e.event === 'stock');
    expect(s1.data).toEqual({ eventId, ticketType: 'general', total: 20, remaining: 18, revision: first.revision });
    expect(s1.id).toBe(String(first.revision));

    const second = await buy(eventId, [
      { type: 'general', quantity: 3 },
      { type: 'vip', quantity: 1 },
    ]);
    await waitFor(() => sse.of<Stock>('stock').length >= 3, { what: 'both types of the second purchase' });
    const byType = Object.fromEntries(
      sse
        .of<Stock>('stock')
        .slice(1)
        .map((e) => [e.data.ticketType, e.data]),
    );
    expect(byType).toEqual({
      general: { eventId, ticketType: 'general', total: 20, remaining: 15, revision: second.revision },
      vip: { eventId, ticketType: 'vip', total: 5, remaining: 4, revision: second.revision },
    });
    // Never a change at or behind the snapshot, and one message per change.
    expect(sse.of<Stock>('stock').every((e) => e.data.revision > snap.data.revision)).toBe(true);
    expect(sse.of<Stock>('stock')).toHaveLength(3);
    expect(sse.of('snapshot')).toHaveLength(1);

    // Heartbeats (every SSE_HEARTBEAT_MS) keep an idle stream open through proxies.
    const beats = sse.comments;
    await waitFor(() => sse.comments >= beats + 2, { what: 'heartbeat comments' });
    expect(sse.ended).toBe(false);
  });

  // Guards: "reconnects resume": the snapshot covers history, so a reconnection (whatever its
  // Last-Event-ID) starts with a fresh snapshot showing what was sold while away.
  it('a reconnection with Last-Event-ID gets a fresh snapshot covering what it missed', async () => {
    const eventId = await seedEvent(clients.etcd, { tickets: [{ type: 'general', total: 10, price: 1000 }] });
    const before = await stream(`/api/events/${eventId}/live`);
    const snap = await before.next<Snapshot>((e) => e.event === 'snapshot');
    before.close();
    const missed = await buy(eventId, [{ type: 'general', quantity: 4 }]);

    const after = await stream(`/api/events/${eventId}/live`, { lastEventId: snap.id });
    const again = await after.next<Snapshot>((e) => e.event === 'snapshot');
    expect(again.data.revision).toBeGreaterThanOrEqual(missed.revision);
    expect(again.data.tickets).toEqual([{ type: 'general', total: 10, remaining: 6, price: 1000 }]);
    expect(after.of('stock')).toHaveLength(0);
  });

  // Guards: errors before the stream opens are JSON in the one error shape (never a 500).
  it('answers 400 for a malformed id and 404 for an unknown event, as JSON errors', async () => {
    const bad = await stream('/api/events/not-an-id/live');
    expect(bad.status).toBe(400);
    expect(bad.headers.get('content-type')).toMatch(/application\/json/);
    expect(bad.body.error).toMatchObject({ status: 400, code: 'BAD_REQUEST', fields: [expect.objectContaining({ path: 'eventId' })] });

    const unknown = await stream(`/api/events/${ulid()}/live`);
    expect(unknown.status).toBe(404);
    expect(unknown.body.error).toMatchObject({ status: 404, code: 'NOT_FOUND' });
    expect(await liveStreams()).toEqual({ event: 0, user: 0 }); // a refused stream holds no slot
  });

  // Guards: SSE_MAX_CLIENTS caps the streams of an instance (429 with Retry-After beyond), and a
  // client that goes away frees its slot.
  it(`refuses stream number ${MAX_STREAMS + 1} with 429 and frees a slot when a client leaves`, async () => {
    const eventId = await seedEvent(clients.etcd, { tickets: [{ type: 'general', total: 10, price: 1000 }] });
    const streams: SseClient[] = [];
    for (let i = 0; i < MAX_STREAMS; i++) {
      const s = await stream(`/api/events/${eventId}/live`);
      expect(s.status).toBe(200);
      streams.push(s);
    }
    const refused = await stream(`/api/events/${eventId}/live`);
    expect(refused.status).toBe(429);
    expect(refused.headers.get('retry-after')).toMatch(/^\d+$/);
    expect(refused.body.error).toMatchObject({ status: 429, code: 'RATE_LIMITED' });

    streams[0]!.close();
    await waitFor(async () => (await liveStreams()).event === MAX_STREAMS - 1, { what: 'the closed stream to be forgotten' });
    const again = await stream(`/api/events/${eventId}/live`);
    expect(again.status).toBe(200);
    await again.next((e) => e.event === 'snapshot');
  });
});

describe('GET /api/me/live', () => {
  // Guards: "/api/me/live pushes the user's alerts": another user's purchases cross the
  // subscriber's limit; the alert arrives with id = alertId, the one GET /api/me/alerts lists.
  it("pushes an alert when another user's purchases cross the subscriber's limit", async () => {
    const eventId = await seedEvent(clients.etcd, { tickets: [{ type: 'general', total: 10, price: 1000 }] });
    const watcher = await new ApiClient(url).signIn('live-watcher');
    const sub = await watcher.put(`/api/me/subscriptions/${eventId}`, { limit: 5 });
    expect(sub.status).toBe(200);
    expect(sub.body.state).toBe('armed');

    const sse = await stream('/api/me/live', { client: watcher });
    expect(sse.status).toBe(200);
    expect(sse.headers.get('content-type')).toMatch(/^text\/event-stream/);
    await waitFor(async () => (await liveStreams()).user === 1, { what: 'the stream to be registered' });

    await buy(eventId, [{ type: 'general', quantity: 3 }]); // 7 left: above the limit, no alert
    await buy(eventId, [{ type: 'general', quantity: 3 }]); // 4 left: crosses 5
    const alert = await sse.next<Alert>((e) => e.event === 'alert', { timeoutMs: 20_000 });
    expect(alert.data).toMatchObject({ eventId, remaining: 4, limit: 5 });
    expect(alert.id).toBe(alert.data.alertId);

    const stored = await watcher.get('/api/me/alerts');
    expect(stored.body.items.map((a: Alert) => a.alertId)).toEqual([alert.data.alertId]);
    expect(sse.of('alert')).toHaveLength(1);
  });

  // Guards: "reconnects resume with Last-Event-ID where the history allows": the alerts fired
  // while away are replayed oldest first, each exactly once, then live ones follow.
  it('a reconnection with Last-Event-ID replays the missed alerts exactly once, then live ones', async () => {
    const events = await Promise.all(
      [1, 2, 3, 4].map(() => seedEvent(clients.etcd, { tickets: [{ type: 'general', total: 10, price: 1000 }] })),
    );
    const me = await new ApiClient(url).signIn('live-resumer');
    // A limit already reached fires at once: one alert per subscription put.
    const fire = async (eventId: string) =>
      expect((await me.put(`/api/me/subscriptions/${eventId}`, { limit: 20 })).body.state).toBe('fired');

    const first = await stream('/api/me/live', { client: me });
    await waitFor(async () => (await liveStreams()).user === 1, { what: 'the stream to be registered' });
    await fire(events[0]!);
    const a1 = await first.next<Alert>((e) => e.event === 'alert', { timeoutMs: 20_000 });
    first.close();

    await fire(events[1]!);
    await fire(events[2]!);
    const stored = await waitFor(
      async () => {
        const r = await me.get('/api/me/alerts');
        return r.body.items.length === 3 ? (r.body.items as Alert[]) : null;
      },
      { what: 'three stored alerts' },
    );
    const missed = stored
      .slice(0, 2)
      .reverse()
      .map((a) => a.alertId); // oldest first
    expect(stored[2]!.alertId).toBe(a1.data.alertId);

    const resumed = await stream('/api/me/live', { client: me, lastEventId: first.lastEventId });
    expect(first.lastEventId).toBe(a1.data.alertId);
    await resumed.next((e) => e.event === 'alert' && e.id === missed[1]);
    expect(resumed.of<Alert>('alert').map((e) => e.id)).toEqual(missed);

    await fire(events[3]!);
    const live = await resumed.next<Alert>((e) => e.event === 'alert', { timeoutMs: 20_000 });
    expect(live.data.eventId).toBe(events[3]);
    expect(resumed.of<Alert>('alert').map((e) => e.data.alertId)).toEqual([...missed, live.data.alertId]);
    expect(resumed.of('gap')).toHaveLength(0);

    // Resuming from the newest alert replays nothing.
    const current = await stream('/api/me/live', { client: me, lastEventId: live.id });
    expect(current.status).toBe(200);
    await waitFor(async () => (await liveStreams()).user === 2, { what: 'the third stream to open' });
    await waitFor(() => current.comments > 0, { what: 'a heartbeat on the resumed stream' });
    expect(current.events).toEqual([]);
  });

  // Guards: "where the history allows": an id the history does not hold is reported as a gap
  // (re-read GET /api/me/alerts), and the stream goes on with live alerts.
  it('says `gap` when the Last-Event-ID is not in the stored history, then streams live alerts', async () => {
    const eventId = await seedEvent(clients.etcd, { tickets: [{ type: 'general', total: 10, price: 1000 }] });
    const me = await new ApiClient(url).signIn('live-gapper');
    const unknownId = ulid();
    const sse = await stream('/api/me/live', { client: me, lastEventId: unknownId });
    const gap = await sse.next((e) => e.event === 'gap');
    expect(gap.data).toMatchObject({ lastEventId: unknownId, reason: 'unknown' });
    expect(gap.id).toBeUndefined();

    await me.put(`/api/me/subscriptions/${eventId}`, { limit: 20 });
    const alert = await sse.next<Alert>((e) => e.event === 'alert', { timeoutMs: 20_000 });
    expect(alert.data.eventId).toBe(eventId);
  });

  // Guards: the user stream needs a session: 401 in the one error shape, no stream opened.
  it('answers 401 without a session', async () => {
    const sse = await stream('/api/me/live');
    expect(sse.status).toBe(401);
    expect(sse.body.error).toMatchObject({ status: 401, code: 'UNAUTHENTICATED' });
    expect((await liveStreams()).user).toBe(0);
  });
});

describe('several gateway instances and shutdown', () => {
  // Guards: one subscription per instance fans out to that instance's clients (a purchase through
  // one instance reaches a stream on another), and SIGTERM ends open streams so the instance
  // exits at once instead of hanging until it is killed. Stops an instance: must stay last.
  it('streams from every instance, and SIGTERM ends the streams and exits promptly', async () => {
    const eventId = await seedEvent(clients.etcd, { tickets: [{ type: 'general', total: 10, price: 1000 }] });
    const second = await clients.stack.addInstance('gateway', { SHUTDOWN_GRACE_MS: '30000' });
    await second.waitReady(60_000);
    const sse = await stream(`/api/events/${eventId}/live`, {}, second.url);
    await sse.next((e) => e.event === 'snapshot');
    await buy(eventId, [{ type: 'general', quantity: 1 }]); // through the first instance
    const pushed = await sse.next<Stock>((e) => e.event === 'stock');
    expect(pushed.data.remaining).toBe(9);

    const child = second.process!.child!;
    const exited = new Promise<{ code: number | null; signal: string | null }>((resolve) =>
      child.once('exit', (code, signal) => resolve({ code, signal })),
    );
    const t0 = Date.now();
    await second.stop('SIGTERM');
    const exit = await exited;
    expect(Date.now() - t0).toBeLessThan(8000); // well before the 12 s SIGKILL of the stack
    expect(exit.signal).not.toBe('SIGKILL');
    expect(exit.code).not.toBe(1); // 1: the shutdown grace ran out
    await waitFor(() => sse.ended, { what: 'the stream to end' });
    open.splice(open.indexOf(sse), 1);
  });
});
