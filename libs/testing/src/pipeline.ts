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

/**
 * Keys the instances keep alive in the background, whatever the tests do: their `svc:`
 * registrations and inventory's partition claims (both re-written when a lease is lost, which a
 * loaded machine does by letting a keep-alive run late).
 */
export const BACKGROUND_KEY_PREFIXES: readonly string[] = [prefixes.svc(), 'partition:', 'partition-member:'];

/**
 * Every key put or deleted after `revision` (up to the store's revision when called), apart from
 * the background keys: to show an operation wrote nothing, with the offending keys named in the
 * failure instead of a bare revision count.
 */
export async function keysWrittenSince(
  etcd: EtcdConnection,
  revision: number,
  ignore: readonly string[] = BACKGROUND_KEY_PREFIXES,
): Promise<string[]> {
  const now = Number((await etcd.kv.get('nothing').exec()).header.revision);
  if (now <= revision) return [];
  const watcher = await etcd.kv
    .watch()
    .prefix('')
    .startRevision(String(revision + 1))
    .create();
  const written: string[] = [];
  try {
    await new Promise<void>((resolve, reject) => {
      watcher.on('error', reject);
      watcher.on('data', (res) => {
        for (const ev of res.events) written.push(`${ev.type.toLowerCase()} ${ev.kv.key.toString()}`);
        const last = res.events.at(-1);
        if (last && Number(last.kv.mod_revision) >= now) resolve();
      });
    });
  } finally {
    await watcher.cancel();
  }
  return written.filter((w) => !ignore.some((p) => w.slice(w.indexOf(' ') + 1).startsWith(p)));
}
