/**
 * Waiting for the event pipeline to settle: every named outbox relayed (no entry left in etcd)
 * and every named durable consumer caught up (nothing pending, nothing delivered but unacked).
 * Checked in that order on each poll, so a sale still in an outbox cannot look "consumed".
 */
import { jetstreamManager } from '@nats-io/jetstream';
import type { EtcdConnection } from '@ticketcd/etcd';
import { prefixes, type ServiceName } from '@ticketcd/keys';
import type { NatsConnection } from '@ticketcd/messaging';
import { waitFor } from './wait-for.js';

export interface PipelineParts {
  /** Services whose outbox must be empty. */
  outboxes?: ServiceName[];
  /** Durable consumers that must have nothing pending or unacked. */
  consumers?: { stream: string; durable: string }[];
  timeoutMs?: number;
  what?: string;
}

/** Messages a durable has not finished: pending in the stream plus delivered and unacked. */
export async function consumerBacklog(nc: NatsConnection, stream: string, durable: string): Promise<number> {
  const info = await (await jetstreamManager(nc)).consumers.info(stream, durable);
  return info.num_pending + info.num_ack_pending;
}

export async function waitPipelineIdle(etcd: EtcdConnection, nc: NatsConnection, parts: PipelineParts): Promise<void> {
  const outboxEmpty = async (service: ServiceName) => (await etcd.kv.getAll().prefix(prefixes.outboxOf(service)).count()) === 0;
  await waitFor(
    async () => {
      for (const service of parts.outboxes ?? []) if (!(await outboxEmpty(service))) return false;
      for (const c of parts.consumers ?? []) if ((await consumerBacklog(nc, c.stream, c.durable)) > 0) return false;
      return true;
    },
    { timeoutMs: parts.timeoutMs ?? 60_000, intervalMs: 200, what: parts.what ?? 'outboxes relayed and consumers caught up' },
  );
}
