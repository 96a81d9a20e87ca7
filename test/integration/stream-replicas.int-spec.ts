/**
 * Issue 15, NATS with JetStream: streams are created with the replicas of the NATS cluster
 * (NATS_STREAM_REPLICAS), and a stream created with other replicas (1, as before) is moved to
 * them. Against a real three-server JetStream cluster of its own (the shared one has a single server).
 */
import { jetstreamManager } from '@nats-io/jetstream';
import type { StreamDef } from '@ticketcd/contracts';
import { connectNats, ensureStream, streamSettings, type NatsConnection } from '@ticketcd/messaging';
import { waitFor } from '@ticketcd/testing';
import { NatsTestCluster } from '../fixtures/nats-cluster.js';

let cluster: NatsTestCluster | undefined;
let nc: NatsConnection | undefined;

beforeAll(async () => {
  cluster = await NatsTestCluster.start();
  nc = await waitFor(() => connectNats({ servers: [cluster!.urls[0]!], name: 'replicas-test' }), {
    timeoutMs: 20_000,
    what: 'a NATS connection',
  });
}, 80_000);

afterAll(async () => {
  await nc?.drain().catch(() => undefined);
  await cluster?.close();
});

describe('stream replicas (issue 15)', () => {
  it('creates a stream with NATS_STREAM_REPLICAS replicas and moves an existing one to them', async () => {
    // The JetStream meta leader is elected a moment after the servers start.
    const jsm = await waitFor(() => jetstreamManager(nc!, { timeout: 2000 }), { timeoutMs: 30_000, what: 'JetStream cluster up' });
    const def: StreamDef = { name: 'REPLICAS_TEST', subjects: ['replicas.test.happened'], description: 'test stream' };
    // As before this issue: one replica.
    expect(await waitFor(() => ensureStream(jsm, def, streamSettings(1)), { timeoutMs: 20_000, what: 'the stream created' })).toBe(
      'created',
    );
    expect((await jsm.streams.info(def.name)).config.num_replicas).toBe(1);

    expect(await ensureStream(jsm, def, streamSettings(3))).toBe('updated');
    const info = await waitFor(
      async () => {
        const i = await jsm.streams.info(def.name);
        return i.cluster?.replicas?.length === 2 ? i : null;
      },
      { timeoutMs: 20_000, what: 'two peers besides the leader' },
    );
    expect(info.config.num_replicas).toBe(3);
    expect(await ensureStream(jsm, def, streamSettings(3))).toBe('unchanged');

    const other: StreamDef = { name: 'REPLICAS_TEST_NEW', subjects: ['replicas.test.created'], description: 'test stream' };
    expect(await ensureStream(jsm, other, streamSettings(3))).toBe('created');
    expect((await jsm.streams.info(other.name)).config.num_replicas).toBe(3);
  });
});
