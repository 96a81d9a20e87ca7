/**
 * The durable consumer's batch mode (issue 17 point 4: one etcd write per group of messages) on a
 * real nats-server -js: what queued up arrives in groups and is acked only after the group's
 * handler resolved; a dependency down pauses and retries the whole group without parking
 * anything (invariant 5); any other failure isolates the bad message (handled alone, parked
 * alone) while the rest of the group is still handled.
 */
import { jetstreamManager } from '@nats-io/jetstream';
import { type EventEnvelope, type StreamDef } from '@ticketcd/contracts';
import { EtcdUnavailableError } from '@ticketcd/etcd';
import { DurableConsumer, JetStreamPublisher, listParked, type BatchItem, type NatsConnection } from '@ticketcd/messaging';
import { createLogger } from '@ticketcd/observability';
import { classifyFailure } from '@ticketcd/platform';
import { waitFor } from '@ticketcd/testing';
import { streamPerTest } from '../fixtures/stream-per-test.js';
import { ulid } from 'ulid';

const log = createLogger({ service: 'test', instance: 'consumer-batch', level: 'silent' });
let nc: NatsConnection;
let def: StreamDef;
let subject: string;

const envelope = (n: number): EventEnvelope => ({
  id: ulid(),
  type: subject,
  occurredAt: new Date().toISOString(),
  source: 'test',
  traceId: ulid(),
  data: { n },
});

async function publish(count: number, data: (i: number) => EventEnvelope = envelope): Promise<void> {
  const pub = new JetStreamPublisher(nc, 'test');
  for (let i = 0; i < count; i++) await pub.publish(data(i), subject);
}

const nOf = (e: EventEnvelope) => (e.data as { n: number }).n;

// A fresh stream per test (test/fixtures/stream-per-test.ts); the names below follow it.
const fixture = streamPerTest('consumer-batch-test', 'b');
beforeEach(() => ({ nc, def, subject } = fixture));

function consumer(opts: Partial<ConstructorParameters<typeof DurableConsumer>[1]>) {
  return new DurableConsumer(
    nc,
    {
      stream: def.name,
      durable: `d-${ulid().toLowerCase()}`,
      filterSubject: subject,
      classify: classifyFailure,
      handler: async () => undefined,
      ...opts,
    },
    log,
  );
}

describe('DurableConsumer batches', () => {
  it('a backlog of 300 arrives in groups of at most maxBatch, in stream order, each acked after its group', async () => {
    await publish(300);
    const groups: number[][] = [];
    const single: number[] = [];
    const c = consumer({
      maxBatch: 100,
      handler: async (e) => void single.push(nOf(e)),
      batchHandler: async (items: BatchItem[]) => void groups.push(items.map((i) => nOf(i.event))),
    });
    await c.start();
    try {
      await waitFor(() => groups.flat().length === 300, { timeoutMs: 15_000, what: 'all 300 handled' });
      expect(single).toEqual([]);
      expect(groups.flat()).toEqual(Array.from({ length: 300 }, (_, i) => i));
      expect(Math.max(...groups.map((g) => g.length))).toBeLessThanOrEqual(100);
      // Queued up: a few groups, not a message at a time.
      expect(groups.length).toBeLessThanOrEqual(30);
      const jsm = await jetstreamManager(nc);
      const durable = (c as unknown as { opts: { durable: string } }).opts.durable;
      await waitFor(async () => (await jsm.consumers.info(def.name, durable)).num_ack_pending === 0, { what: 'every message acked' });
    } finally {
      await c.stop();
    }
  });

  // Issue 27: orders' sale records wait up to 100 ms so one Txn carries many messages' sales.
  it('lingerMs: messages that trickle in (one every 20 ms) are handled together, not one group each', async () => {
    const groups: number[][] = [];
    const c = consumer({
      maxBatch: 100,
      lingerMs: 1500,
      batchHandler: async (items: BatchItem[]) => void groups.push(items.map((i) => nOf(i.event))),
    });
    await c.start();
    try {
      const pub = new JetStreamPublisher(nc, 'test');
      for (let i = 0; i < 10; i++) {
        await pub.publish(envelope(i), subject);
        await new Promise((r) => setTimeout(r, 20));
      }
      await waitFor(() => groups.flat().length === 10, { timeoutMs: 15_000, what: 'all 10 handled' });
      expect(groups.flat()).toEqual(Array.from({ length: 10 }, (_, i) => i));
      // Without the linger each would be a group of its own (published 20 ms apart).
      expect(groups.length).toBeLessThanOrEqual(2);
    } finally {
      await c.stop();
    }
  });

  it('a dependency down: the group is retried whole after a pause, for as long as it takes, and nothing is parked', async () => {
    await publish(50);
    let calls = 0;
    const done: number[] = [];
    const outcomes: string[] = [];
    const c = consumer({
      maxBatch: 64,
      maxAttempts: 2,
      pauseMs: [20, 50, 100],
      onOutcome: (o) => outcomes.push(o),
      batchHandler: async (items) => {
        if (++calls <= 8) throw new EtcdUnavailableError('etcd unavailable during recording sales: no answer before the deadline', true);
        done.push(...items.map((i) => nOf(i.event)));
      },
    });
    await c.start();
    try {
      await waitFor(() => new Set(done).size === 50, { timeoutMs: 20_000, what: 'all 50 handled once etcd is back' });
      expect(calls).toBeGreaterThan(8);
      expect(outcomes).not.toContain('parked');
      expect(await listParked(nc, { durable: (c as unknown as { opts: { durable: string } }).opts.durable })).toEqual([]);
    } finally {
      await c.stop();
    }
  });

  it('a bad message fails its group: the others are handled one by one and acked, the bad one parked alone', async () => {
    await publish(40);
    const handledAlone: number[] = [];
    const outcomes: string[] = [];
    const c = consumer({
      maxBatch: 64,
      maxAttempts: 2,
      backoffMs: [50],
      onOutcome: (o) => outcomes.push(o),
      batchHandler: async (items) => {
        if (items.some((i) => nOf(i.event) === 7)) throw new Error('corrupt value for message 7');
      },
      handler: async (e) => {
        if (nOf(e) === 7) throw new Error('corrupt value for message 7');
        handledAlone.push(nOf(e));
      },
    });
    await c.start();
    try {
      await waitFor(() => outcomes.includes('parked'), { timeoutMs: 20_000, what: 'message 7 parked' });
      const parked = await listParked(nc, { durable: (c as unknown as { opts: { durable: string } }).opts.durable });
      expect(parked).toHaveLength(1);
      // Every message that was in a group with 7 went through on its own; none twice.
      expect(handledAlone).not.toContain(7);
      expect(new Set(handledAlone).size).toBe(handledAlone.length);
      expect(outcomes.filter((o) => o === 'acked')).toHaveLength(39);
    } finally {
      await c.stop();
    }
  });
});
