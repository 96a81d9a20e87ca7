/**
 * JetStream guarantees the services build on (design brief: events; invariants 1-4 depend on
 * them): a repeated message id is stored once, an unacked message survives its consumer's
 * death, a failing handler is retried with backoff and then parked, never dropped.
 */
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { HEADERS, PARKED_STREAM, parkedSubject, type EventEnvelope, type StreamDef } from '@ticketcd/contracts';
import { AppError } from '@ticketcd/contracts';
import { EtcdUnavailableError } from '@ticketcd/etcd';
import { DurableConsumer, ensureStream, JetStreamPublisher, listParked, replayParked, type NatsConnection } from '@ticketcd/messaging';
import { classifyFailure } from '@ticketcd/platform';
import { createLogger, currentTraceId, runWithTrace } from '@ticketcd/observability';
import { sharedCluster, waitFor } from '@ticketcd/testing';
import { streamPerTest } from '../fixtures/stream-per-test.js';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { ulid } from 'ulid';
import { z } from 'zod';

const log = createLogger({ service: 'test', instance: 'messaging', level: 'silent' });
let nc: NatsConnection;
let def: StreamDef;
let subject: string;

function envelope(id: string, data: unknown = { n: 1 }): EventEnvelope {
  return { id, type: subject, occurredAt: new Date().toISOString(), source: 'test', traceId: ulid(), data };
}

// A fresh stream per test (test/fixtures/stream-per-test.ts); the names below follow it.
const fixture = streamPerTest('messaging-test', 't');
beforeEach(() => ({ nc, def, subject } = fixture));

describe('JetStream on a real nats-server -js', () => {
  it('creates streams idempotently, also when instances race', async () => {
    const jsm = await jetstreamManager(nc);
    const outcomes = await Promise.all(Array.from({ length: 5 }, () => ensureStream(jsm, def)));
    expect(outcomes.every((o) => o === 'unchanged')).toBe(true);
    const info = await jsm.streams.info(def.name);
    expect(info.config.subjects).toEqual([subject]);
  });

  it('stores a message published repeatedly with the same id once', async () => {
    const pub = new JetStreamPublisher(nc, 'test');
    const e = envelope(`sold:${ulid()}`);
    const results = [];
    for (let i = 0; i < 5; i++) results.push(await pub.publish(e, subject));
    expect(results.map((r) => r.duplicate)).toEqual([false, true, true, true, true]);
    await pub.publish(envelope(`sold:${ulid()}`), subject);
    const info = await (await jetstreamManager(nc)).streams.info(def.name);
    expect(info.state.messages).toBe(2);
  });

  it('redelivers a message whose consumer was killed (kill -9) before acking', async () => {
    const durable = `d-${ulid().toLowerCase()}`;
    const e = envelope(ulid());
    await new JetStreamPublisher(nc, 'test').publish(e, subject);

    const fixture = path.join(import.meta.dirname, '..', 'fixtures', 'hold-consumer.ts');
    const child = spawn(process.execPath, [fixture, sharedCluster().natsUrl, def.name, durable, subject], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    await waitFor(() => out.includes(`received ${e.id}`), { timeoutMs: 15_000, what: `fixture to receive (stderr: ${err})` });
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGKILL');
    await exited;

    const got: { id: string; deliveryCount: number }[] = [];
    const consumer = new DurableConsumer(
      nc,
      {
        stream: def.name,
        durable,
        filterSubject: subject,
        ackWaitMs: 1000,
        handler: async (ev, info) => void got.push({ id: ev.id, deliveryCount: info.deliveryCount }),
      },
      log,
    );
    await consumer.start();
    try {
      await waitFor(() => got.length > 0, { timeoutMs: 15_000, what: 'redelivery after the consumer died' });
      expect(got[0]).toEqual({ id: e.id, deliveryCount: 2 });
      // Acked now: nothing more arrives.
      const jsm = await jetstreamManager(nc);
      await waitFor(async () => (await jsm.consumers.info(def.name, durable)).num_ack_pending === 0, { what: 'ack to land' });
      expect(got).toHaveLength(1);
    } finally {
      await consumer.stop();
    }
  });

  it('retries a failing handler with growing delays, then parks the message with its error', async () => {
    const durable = `d-${ulid().toLowerCase()}`;
    const attempts: number[] = [];
    const consumer = new DurableConsumer(
      nc,
      {
        stream: def.name,
        durable,
        filterSubject: subject,
        maxAttempts: 4,
        backoffMs: [100, 300, 600],
        handler: async () => {
          attempts.push(Date.now());
          throw new Error('etcd write failed: boom');
        },
      },
      log,
    );
    await consumer.start();
    const e = envelope(ulid());
    try {
      await new JetStreamPublisher(nc, 'test').publish(e, subject);
      const js = jetstream(nc);
      const parkedConsumer = await (
        await jetstreamManager(nc)
      ).consumers.add(PARKED_STREAM, { filter_subject: parkedSubject(durable), ack_policy: 'explicit' as never });
      const parked = await waitFor(
        async () => {
          const c = await js.consumers.get(PARKED_STREAM, parkedConsumer.name);
          return (await c.next({ expires: 1000 })) ?? undefined;
        },
        { timeoutMs: 15_000, what: 'the message in the PARKED stream' },
      );
      expect(attempts).toHaveLength(4);
      const gaps = attempts.slice(1).map((t, i) => t - attempts[i]!);
      expect(gaps[0]).toBeGreaterThanOrEqual(90);
      expect(gaps[1]).toBeGreaterThanOrEqual(280);
      expect(gaps[2]).toBeGreaterThanOrEqual(570);
      expect((parked.json() as EventEnvelope).id).toBe(e.id);
      expect(parked.headers?.get(HEADERS.parkedError)).toBe('etcd write failed: boom');
      expect(parked.headers?.get(HEADERS.parkedDeliveries)).toBe('4');
      expect(parked.headers?.get(HEADERS.parkedSubject)).toBe(subject);
      parked.ack();
      // Terminated on the source consumer: not delivered again.
      const jsm = await jetstreamManager(nc);
      await waitFor(async () => (await jsm.consumers.info(def.name, durable)).num_ack_pending === 0, { what: 'original terminated' });
      expect(attempts).toHaveLength(4);
    } finally {
      await consumer.stop();
    }
  });

  it("runs the handler in the publisher's trace", async () => {
    const durable = `d-${ulid().toLowerCase()}`;
    const seen: (string | undefined)[] = [];
    const consumer = new DurableConsumer(
      nc,
      { stream: def.name, durable, filterSubject: subject, handler: async () => void seen.push(currentTraceId()) },
      log,
    );
    await consumer.start();
    try {
      const pub = new JetStreamPublisher(nc, 'test');
      await runWithTrace('trace-of-the-sale', () =>
        pub.publish(pub.envelope({ type: subject, stream: def.name, data: z.object({ n: z.number() }) }, ulid(), { n: 1 }), subject),
      );
      await waitFor(() => seen.length === 1, { what: 'delivery' });
      expect(seen).toEqual(['trace-of-the-sale']);
    } finally {
      await consumer.stop();
    }
  });

  it('parks a message that is not an envelope at once', async () => {
    const durable = `d-${ulid().toLowerCase()}`;
    let calls = 0;
    const consumer = new DurableConsumer(nc, { stream: def.name, durable, filterSubject: subject, handler: async () => void calls++ }, log);
    await consumer.start();
    try {
      await jetstream(nc).publish(subject, '{"not":"an envelope"}', { msgID: ulid() });
      const jsm = await jetstreamManager(nc);
      await waitFor(
        async () => {
          const info = await jsm.streams.info(PARKED_STREAM, { subjects_filter: parkedSubject(durable) } as never);
          return (info.state.subjects as Record<string, number> | undefined)?.[parkedSubject(durable)] === 1;
        },
        { timeoutMs: 10_000, what: 'malformed message parked' },
      );
      expect(calls).toBe(0);
    } finally {
      await consumer.stop();
    }
  });

  // Issue 13.2 (invariant 5): a dependency down is waited out, whatever the attempt bound.
  it('retries a handler failing because etcd is down for as long as it takes, and never parks it', async () => {
    const durable = `d-${ulid().toLowerCase()}`;
    let calls = 0;
    const outcomes: string[] = [];
    const consumer = new DurableConsumer(
      nc,
      {
        stream: def.name,
        durable,
        filterSubject: subject,
        classify: classifyFailure,
        maxAttempts: 2,
        pauseMs: [20, 50, 100],
        onOutcome: (o) => outcomes.push(o),
        handler: async () => {
          if (++calls <= 12)
            throw new EtcdUnavailableError('etcd unavailable during recording a sale: no answer before the deadline (quorum lost?)', true);
        },
      },
      log,
    );
    await consumer.start();
    try {
      const pub = new JetStreamPublisher(nc, 'test');
      for (let i = 0; i < 3; i++) await pub.publish(envelope(ulid()), subject);
      await waitFor(() => outcomes.filter((o) => o === 'acked').length === 3, {
        timeoutMs: 15_000,
        what: 'all three handled once etcd is back',
      });
      expect(calls).toBeGreaterThan(12);
      expect(outcomes).not.toContain('parked');
      expect(await listParked(nc, { durable })).toEqual([]);
    } finally {
      await consumer.stop();
    }
  });

  it('parks a message failing permanently at once; an operator lists and replays it to its subject', async () => {
    const durable = `d-${ulid().toLowerCase()}`;
    let broken = true;
    const handled: string[] = [];
    const consumer = new DurableConsumer(
      nc,
      {
        stream: def.name,
        durable,
        filterSubject: subject,
        classify: classifyFailure,
        handler: async (e) => {
          if (broken) throw AppError.badRequest('unknown ticket type');
          handled.push(e.id);
        },
      },
      log,
    );
    await consumer.start();
    try {
      const e = envelope(`sold:${ulid()}`);
      await new JetStreamPublisher(nc, 'test').publish(e, subject);
      const [p] = await waitFor(
        async () => {
          const list = await listParked(nc, { durable });
          return list.length ? list : undefined;
        },
        { timeoutMs: 10_000, what: 'the message parked' },
      );
      expect(p).toMatchObject({
        durable,
        subject,
        stream: def.name,
        envelopeId: e.id,
        attempts: 1,
        failure: 'permanent',
        error: 'unknown ticket type',
      });

      broken = false;
      // Replayed within the stream's duplicate window: still delivered (a new NATS message id, the same envelope).
      expect(await replayParked(nc, { seqs: [p!.seq, 999_999_999] })).toEqual([
        { seq: 999_999_999, durable: '', subject: null, replayed: false, reason: 'not in PARKED' },
        { seq: p!.seq, durable, subject, replayed: true },
      ]);
      await waitFor(() => handled.length === 1, { timeoutMs: 10_000, what: 'the replayed message handled' });
      expect(handled).toEqual([e.id]);
      expect(await listParked(nc, { durable })).toEqual([]);
    } finally {
      await consumer.stop();
    }
  });
});
