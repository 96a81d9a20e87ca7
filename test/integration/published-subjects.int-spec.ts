/**
 * Issue 25 point 3: a publish to a subject no stream takes fails like JetStream being away (a
 * 503), so the outbox relay retries it without counting; the configuration error is caught at
 * start-up instead. Against the real nats-server: until each event subject a service publishes is
 * taken by the stream its contract names, the instance is unready with a message naming the
 * subject, checked again until it passes (the /readyz message itself: health.controller.spec.ts).
 */
import { jetstreamManager } from '@nats-io/jetstream';
import type { EventDef, StreamDef } from '@ticketcd/contracts';
import { ensureStream, connectNats, type NatsConnection } from '@ticketcd/messaging';
import { PublishedSubjects, ReadinessState, streamProblem } from '@ticketcd/platform';
import { sharedCluster, waitFor } from '@ticketcd/testing';
import type { PinoLogger } from 'nestjs-pino';
import { ulid } from 'ulid';
import { z } from 'zod';

let nc: NatsConnection;
const streams: string[] = [];
const log = { setContext: () => undefined, error: () => undefined, info: () => undefined } as unknown as PinoLogger;

beforeAll(async () => {
  nc = await connectNats({ servers: [sharedCluster().natsUrl], name: 'published-subjects' });
});
afterAll(async () => {
  const jsm = await jetstreamManager(nc);
  for (const name of streams) await jsm.streams.delete(name).catch(() => undefined);
  await nc.drain();
});

/** A stream of this test's own (own names: the shared nats-server serves other files too). */
async function stream(tag: string, subjects: string[]): Promise<StreamDef> {
  const def = { name: `PS_${tag.toUpperCase()}`, subjects, description: 'published-subjects test' };
  await ensureStream(await jetstreamManager(nc), def);
  streams.push(def.name);
  return def;
}

class Checked extends PublishedSubjects {
  constructor(
    readiness: ReadinessState,
    private readonly defs: EventDef[],
  ) {
    super(nc, { service: 'test', instanceId: 'test-0', version: '0', startedAt: new Date().toISOString() }, readiness, log);
  }
  protected override events(): readonly EventDef[] {
    return this.defs;
  }
}

describe('start-up check of the event subjects a service publishes (issue 25.3)', () => {
  it('keeps the instance unready, naming the subject, until its stream takes it', async () => {
    const tag = ulid().toLowerCase();
    const [sold, changed] = [`ps${tag}.tickets.sold`, `ps${tag}.stock.changed`];
    const def = await stream(tag, [changed]);
    const events = [changed, sold].map((type) => ({ type, stream: def.name, data: z.unknown() }));
    const readiness = new ReadinessState();
    const checked = new Checked(readiness, events);
    try {
      await checked.start();
      expect(readiness.misconfigured).toBe(`no JetStream stream takes ${sold} (stream ${def.name} should): its events wait in the outbox`);
      // Fixed in the stream's config: the check, retried in the background, passes by itself.
      await ensureStream(await jetstreamManager(nc), { ...def, subjects: [changed, sold] });
      await waitFor(() => readiness.misconfigured === null, { what: 'the retried check to pass' });
    } finally {
      checked.onApplicationShutdown();
    }
  });

  it('names a subject taken by another stream than its contract names', async () => {
    const tag = ulid().toLowerCase();
    const subject = `ps${tag}.thing.happened`;
    const other = await stream(`${tag}_other`, [subject]);
    const expected = { type: subject, stream: `PS_${tag.toUpperCase()}`, data: z.unknown() };
    expect(await streamProblem(nc, [expected])).toBe(
      `${subject} is taken by stream ${other.name}, not ${expected.stream}: its consumers would never see it`,
    );
    expect(await streamProblem(nc, [{ ...expected, stream: other.name }])).toBeNull();
    expect(await streamProblem(nc, [])).toBeNull();
  });
});
