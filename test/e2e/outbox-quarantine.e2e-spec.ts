/**
 * Issue 13 point 3: the outbox relay isolates failures. Poison entries written before good ones
 * (unreadable JSON, an unknown kind, a sold batch whose expansion throws, one naming sales that do
 * not exist, one holding an event type this service does not publish: issue 25.3) must not hold
 * back the entries after them: the good ones are published promptly,
 * the poison ones are retried, then quarantined (kept with their reason), counted in /metrics
 * and listed by the operator command.
 */
import { jetstreamManager } from '@nats-io/jetstream';
import { Events, Rpc, type EventEnvelope } from '@ticketcd/contracts';
import type { EtcdConnection } from '@ticketcd/etcd';
import { keys, prefixes } from '@ticketcd/keys';
import type { NatsConnection, RpcClient } from '@ticketcd/messaging';
import { seedEvent, startStackWithClients, waitFor, type Stack, type StackClients } from '@ticketcd/testing';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { ulid } from 'ulid';

let clients: StackClients;
let stack: Stack;
let etcd: EtcdConnection;
let rpc: RpcClient;
let nc: NatsConnection;

beforeAll(async () => {
  clients = await startStackWithClients({ services: ['inventory'] });
  ({ stack, etcd, nc } = clients);
  rpc = clients.rpc.client;
}, 120_000);

afterAll(() => clients?.close());

/** Order ids of the inventory.tickets.sold messages in the stream. */
async function publishedSales(): Promise<Set<string>> {
  const jsm = await jetstreamManager(nc);
  const info = await jsm.streams.info('INVENTORY');
  const ids = new Set<string>();
  for (let seq = info.state.first_seq; info.state.messages > 0 && seq <= info.state.last_seq; seq++) {
    const m = await jsm.streams.getMessage('INVENTORY', { seq }).catch(() => null);
    if (m?.subject !== Events.inventory.ticketsSold.type) continue;
    ids.add((JSON.parse(new TextDecoder().decode(m.data)) as EventEnvelope<{ orderId: string }>).data.orderId);
  }
  return ids;
}

function metric(text: string, name: string): number | null {
  const m = new RegExp(`^${name}(\\{[^}]*\\})? (\\S+)$`, 'm').exec(text);
  return m ? Number(m[2]) : null;
}

describe('outbox relay with poison entries (issue 13.3)', () => {
  it('relays the entries after a poison one promptly, then quarantines the poison ones with their reason', async () => {
    const eventId = await seedEvent(etcd, { tickets: [{ type: 'pink', total: 100, price: 100 }] });
    const poison: Record<string, string> = {
      [keys.outbox('inventory', ulid())]: '{not json',
      [keys.outbox('inventory', ulid())]: JSON.stringify({ kind: 'no-such-kind', payload: {} }),
      [keys.outbox('inventory', ulid())]: JSON.stringify({ kind: 'inventory.sold-batch', payload: null }),
      [keys.outbox('inventory', ulid())]: JSON.stringify({
        kind: 'inventory.sold-batch',
        payload: { eventId, orderIds: [ulid()], stock: [], occurredAt: new Date().toISOString() },
      }),
      // Not an event inventory publishes (no stream takes it): unexpandable, not a 503 retried forever (issue 25.3).
      [keys.outbox('inventory', ulid())]: JSON.stringify({
        envelopes: [
          {
            id: `nowhere:${ulid()}`,
            type: 'inventory.nowhere',
            occurredAt: new Date().toISOString(),
            source: 'test',
            traceId: ulid(),
            data: {},
          },
        ],
      }),
    };
    for (const [key, value] of Object.entries(poison)) await etcd.kv.put(key).value(value);

    const orderIds = Array.from({ length: 20 }, () => ulid());
    const replies = await Promise.all(
      orderIds.map((orderId, i) =>
        rpc.call(Rpc.inventory.purchase, { orderId, username: `buyer-${i}`, eventId, lines: [{ type: 'pink', quantity: 1 }] }),
      ),
    );
    expect(replies.every((r) => r.status === 'accepted')).toBe(true);
    const soldAt = Date.now();
    await waitFor(
      async () => {
        const published = await publishedSales();
        return orderIds.every((id) => published.has(id));
      },
      { timeoutMs: 5000, intervalMs: 100, what: 'the 20 sales published despite the poison entries before them' },
    );
    process.stdout.write(`good entries published ${Date.now() - soldAt} ms after the sales\n`);

    // Retried, then moved out of the outbox into the quarantine, value and reason kept.
    await waitFor(async () => (await etcd.kv.getAll().prefix(prefixes.outboxOf('inventory')).count()) === 0, {
      timeoutMs: 40_000,
      intervalMs: 200,
      what: 'the poison entries to leave the outbox',
    });
    const quarantined = await etcd.kv.getAll().prefix(prefixes.outboxQuarantineOf('inventory')).strings();
    expect(Object.keys(quarantined).sort()).toEqual(
      Object.keys(poison)
        .map((k) => keys.outboxQuarantine('inventory', k.split(':').pop()!))
        .sort(),
    );
    for (const [key, value] of Object.entries(poison)) {
      const q = JSON.parse(quarantined[keys.outboxQuarantine('inventory', key.split(':').pop()!)]!) as {
        value: string;
        reason: string;
        attempts: number;
      };
      expect(q.value).toBe(value);
      expect(q.reason).not.toBe('');
      expect(q.attempts).toBeGreaterThanOrEqual(1);
    }

    const inventory = stack.services.find((s) => s.spec.service === 'inventory')!;
    const text = await (await fetch(`${inventory.url}/metrics`)).text();
    expect({
      quarantined: metric(text, 'ticketcd_outbox_quarantined'),
      quarantinedTotal: metric(text, 'ticketcd_outbox_quarantined_total'),
      backlog: metric(text, 'ticketcd_outbox_backlog'),
      oldestAge: metric(text, 'ticketcd_outbox_oldest_age_seconds'),
    }).toEqual({ quarantined: 5, quarantinedTotal: 5, backlog: 0, oldestAge: 0 });

    // The operator sees them, and can put one back in the outbox (here it is quarantined again).
    const cli = (...args: string[]) =>
      promisify(execFile)(process.execPath, [
        'libs/tooling/stack/dist/cli.js',
        ...args,
        '--etcd',
        stack.etcd.endpoints.join(','),
        '--nats',
        stack.nats.url,
      ]);
    const listed = await cli('outbox', 'list');
    for (const key of Object.keys(poison)) expect(listed.stdout).toContain(key.split(':').pop()!);
    expect(listed.stdout).toMatch(/no expander for outbox entries of kind no-such-kind/);
    const first = Object.keys(poison)[1]!.split(':').pop()!;
    const requeued = await cli('outbox', 'requeue', 'inventory', first);
    expect(requeued.stdout).toMatch(/1 entr(y|ies) put back/);
    expect(await etcd.kv.get(keys.outbox('inventory', first)).string()).toBe(poison[keys.outbox('inventory', first)]);
    await waitFor(async () => (await etcd.kv.get(keys.outbox('inventory', first)).string()) === null, {
      timeoutMs: 40_000,
      what: 'the requeued entry quarantined again',
    });
  }, 120_000);
});
