/**
 * Publishes event envelopes to JetStream. The envelope id is the message id, so publishing the
 * same envelope again (a relay retry after a crash) is stored once within the duplicate window.
 */
import { jetstream, type JetStreamClient } from '@nats-io/jetstream';
import { headers as natsHeaders, type NatsConnection } from '@nats-io/nats-core';
import { buildEnvelope, envelopeSchema, HEADERS, type EventDef, type EventEnvelope } from '@ticketcd/contracts';
import { currentTraceId, newTraceId } from '@ticketcd/observability';
import type { z } from 'zod';

export interface PublishResult {
  stream: string;
  seq: number;
  duplicate: boolean;
}

export class JetStreamPublisher {
  private readonly js: JetStreamClient;

  constructor(
    nc: NatsConnection,
    private readonly source: string,
    private readonly timeoutMs = 5000,
  ) {
    this.js = jetstream(nc, { timeout: timeoutMs });
  }

  /** Builds the envelope for `def`; `id` should be derived from the fact reported, so retries dedupe. */
  envelope<S extends z.ZodType>(def: EventDef<S>, id: string, data: z.input<S>, occurredAt = new Date()): EventEnvelope<z.output<S>> {
    return buildEnvelope(def, id, data, { source: this.source, traceId: currentTraceId() ?? newTraceId(), occurredAt });
  }

  async publish(envelope: EventEnvelope, subject = envelope.type): Promise<PublishResult> {
    envelopeSchema.parse(envelope);
    const h = natsHeaders();
    h.set(HEADERS.traceId, envelope.traceId);
    h.set(HEADERS.source, envelope.source);
    const ack = await this.js.publish(subject, JSON.stringify(envelope), { msgID: envelope.id, headers: h, timeout: this.timeoutMs });
    return { stream: ack.stream, seq: ack.seq, duplicate: ack.duplicate };
  }
}
