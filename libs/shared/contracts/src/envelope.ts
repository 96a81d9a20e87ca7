/**
 * The envelope every durable event travels in. `id` is also the JetStream message id, so a
 * publisher that derives it from the fact it reports (e.g. the order id) gets retries
 * de-duplicated by the stream.
 */
import { ulid } from 'ulid';
import { z } from 'zod';

export const envelopeSchema = z.object({
  id: z.string().min(1).max(200),
  type: z.string().min(1),
  occurredAt: z.iso.datetime(),
  source: z.string().min(1),
  traceId: z.string().min(1).max(128),
  data: z.unknown(),
});

export interface EventEnvelope<T = unknown> {
  id: string;
  type: string;
  occurredAt: string;
  source: string;
  traceId: string;
  data: T;
}

export function newTraceId(): string {
  return ulid();
}

/** Builds a validated envelope for an event definition. */
export function buildEnvelope<S extends z.ZodType>(
  def: { type: string; data: S },
  id: string,
  data: z.input<S>,
  meta: { source: string; traceId: string; occurredAt?: Date },
): EventEnvelope<z.output<S>> {
  return {
    id,
    type: def.type,
    occurredAt: (meta.occurredAt ?? new Date()).toISOString(),
    source: meta.source,
    traceId: meta.traceId,
    data: def.data.parse(data),
  };
}
