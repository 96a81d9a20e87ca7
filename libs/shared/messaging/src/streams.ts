/**
 * Streams are created at start by every service that publishes or consumes, idempotently:
 * a missing stream is added, an existing one has its subjects and replicas (NATS_STREAM_REPLICAS,
 * the NATS cluster size) brought up to date, and two instances racing to create it both succeed.
 */
import {
  DiscardPolicy,
  jetstreamManager,
  RetentionPolicy,
  StorageType,
  type JetStreamManager,
  type StreamConfig,
} from '@nats-io/jetstream';
import { nanos, type NatsConnection } from '@nats-io/nats-core';
import type { StreamDef } from '@ticketcd/contracts';

export interface StreamSettings {
  /** Window in which a repeated message id is dropped as a duplicate. */
  duplicateWindowMs: number;
  maxAgeMs: number;
  replicas: number;
}

export const DEFAULT_STREAM_SETTINGS: StreamSettings = {
  duplicateWindowMs: 2 * 60_000,
  maxAgeMs: 7 * 24 * 3600_000,
  replicas: 1,
};

function configOf(def: StreamDef, s: StreamSettings): Partial<StreamConfig> & { name: string } {
  return {
    name: def.name,
    subjects: def.subjects,
    description: def.description,
    retention: RetentionPolicy.Limits,
    storage: StorageType.File,
    discard: DiscardPolicy.Old,
    duplicate_window: nanos(s.duplicateWindowMs),
    max_age: nanos(s.maxAgeMs),
    num_replicas: s.replicas,
  };
}

const sameSubjects = (a: string[], b: string[]) => a.length === b.length && [...a].sort().join() === [...b].sort().join();

/**
 * Errors a JetStream cluster gives while it is still forming (servers started together, a peer
 * not yet known to the meta leader): worth a retry, not a failed start.
 */
export function isTransientPlacementError(e: unknown): boolean {
  return /no suitable peers|insufficient resources|temporarily unavailable|jetstream not in clustered mode/i.test(
    (e as Error)?.message ?? '',
  );
}

export async function ensureStream(
  jsm: JetStreamManager,
  def: StreamDef,
  settings = DEFAULT_STREAM_SETTINGS,
  retry: { timeoutMs: number; intervalMs: number } = { timeoutMs: 30_000, intervalMs: 250 },
): Promise<'created' | 'updated' | 'unchanged'> {
  const deadline = Date.now() + retry.timeoutMs;
  for (;;) {
    try {
      return await ensureStreamOnce(jsm, def, settings);
    } catch (e) {
      if (!isTransientPlacementError(e) || Date.now() + retry.intervalMs > deadline) throw e;
      await new Promise((r) => setTimeout(r, retry.intervalMs));
    }
  }
}

async function ensureStreamOnce(
  jsm: JetStreamManager,
  def: StreamDef,
  settings: StreamSettings,
): Promise<'created' | 'updated' | 'unchanged'> {
  const cfg = configOf(def, settings);
  try {
    const info = await jsm.streams.info(def.name);
    if (
      sameSubjects(info.config.subjects ?? [], def.subjects) &&
      info.config.duplicate_window === cfg.duplicate_window &&
      info.config.num_replicas === cfg.num_replicas
    )
      return 'unchanged';
    // JetStream moves a stream to more (or fewer) replicas in place when its config changes.
    await jsm.streams.update(def.name, {
      ...info.config,
      subjects: def.subjects,
      duplicate_window: cfg.duplicate_window,
      num_replicas: cfg.num_replicas,
    });
    return 'updated';
  } catch (e) {
    if (!isNotFound(e)) throw e;
  }
  try {
    await jsm.streams.add(cfg);
    return 'created';
  } catch (e) {
    // Another instance created it between our info and add.
    if (/already in use/i.test((e as Error).message)) return 'unchanged';
    throw e;
  }
}

/** Stream settings with `replicas` replicas (NATS_STREAM_REPLICAS). */
export function streamSettings(replicas: number): StreamSettings {
  return { ...DEFAULT_STREAM_SETTINGS, replicas };
}

export async function ensureStreams(nc: NatsConnection, defs: StreamDef[], settings = DEFAULT_STREAM_SETTINGS): Promise<void> {
  const jsm = await jetstreamManager(nc);
  for (const def of defs) await ensureStream(jsm, def, settings);
}

function isNotFound(e: unknown): boolean {
  return /not found/i.test((e as Error).message ?? '');
}
