/**
 * The PARKED stream seen by an operator (`npm run parked -- list | replay`): what was parked,
 * by which consumer and why; and replay, which publishes the message again to its original
 * subject, then removes it from PARKED. The body is unchanged, so the envelope id is the
 * original one and a replay of something already applied changes nothing (consumers are
 * idempotent by envelope content). The NATS message id is new (`replay:<parked seq>:<id>`):
 * the original id would be dropped by the stream as a duplicate within its window.
 * A replay reaches every consumer of the subject, not only the one that parked it.
 */
import { jetstream, jetstreamManager, type StoredMsg } from '@nats-io/jetstream';
import { headers as natsHeaders, type NatsConnection } from '@nats-io/nats-core';
import { HEADERS, PARKED_STREAM, parkedSubject } from '@ticketcd/contracts';

export interface ParkedMessage {
  /** Sequence in the PARKED stream: what `replay` takes. */
  seq: number;
  durable: string;
  parkedAt: Date;
  stream: string | null;
  /** The message's sequence in its own stream, and its subject: where a replay goes. */
  originalSeq: number | null;
  subject: string | null;
  deliveries: number | null;
  attempts: number | null;
  failure: string | null;
  error: string | null;
  envelopeId: string | null;
  type: string | null;
  data: Uint8Array;
}

export interface ParkedFilter {
  durable?: string;
  /** At most this many, oldest first (default 1000). */
  limit?: number;
}

function toParked(m: StoredMsg): ParkedMessage {
  const h = (name: string) => m.header?.get(name) || null;
  const num = (name: string) => (h(name) === null ? null : Number(h(name)));
  let envelope: { id?: unknown; type?: unknown } = {};
  try {
    envelope = JSON.parse(new TextDecoder().decode(m.data)) as typeof envelope;
  } catch {
    // A malformed message is parked as it came; the listing still shows it.
  }
  return {
    seq: m.seq,
    durable: m.subject.slice(parkedSubject('').length),
    parkedAt: m.time,
    stream: h(HEADERS.parkedStream),
    originalSeq: num(HEADERS.parkedSeq),
    subject: h(HEADERS.parkedSubject),
    deliveries: num(HEADERS.parkedDeliveries),
    attempts: num(HEADERS.parkedAttempts),
    failure: h(HEADERS.parkedFailure),
    error: h(HEADERS.parkedError),
    envelopeId: typeof envelope?.id === 'string' ? envelope.id : null,
    type: typeof envelope?.type === 'string' ? envelope.type : null,
    data: m.data,
  };
}

/** Parked messages, oldest first. */
export async function listParked(nc: NatsConnection, filter: ParkedFilter = {}): Promise<ParkedMessage[]> {
  const jsm = await jetstreamManager(nc);
  const { state } = await jsm.streams.info(PARKED_STREAM);
  const out: ParkedMessage[] = [];
  const limit = filter.limit ?? 1000;
  for (let seq = state.first_seq; state.messages > 0 && seq <= state.last_seq && out.length < limit; seq++) {
    const m = await jsm.streams.getMessage(PARKED_STREAM, { seq }).catch((e: Error) => {
      if (/no message found|not found/i.test(e.message)) return null;
      throw e;
    });
    if (!m) continue;
    const p = toParked(m);
    if (!filter.durable || p.durable === filter.durable) out.push(p);
  }
  return out;
}

export interface ReplayResult {
  seq: number;
  durable: string;
  subject: string | null;
  replayed: boolean;
  /** Why not, when not replayed. */
  reason?: string;
}

/** Publishes each parked message again to its original subject, then deletes it from PARKED. */
export async function replayParked(
  nc: NatsConnection,
  select: { seqs?: number[]; all?: boolean; durable?: string },
): Promise<ReplayResult[]> {
  const jsm = await jetstreamManager(nc);
  const js = jetstream(nc);
  let targets: ParkedMessage[];
  if (select.all) targets = await listParked(nc, { durable: select.durable, limit: Number.MAX_SAFE_INTEGER });
  else {
    targets = [];
    for (const seq of select.seqs ?? []) {
      const m = await jsm.streams.getMessage(PARKED_STREAM, { seq }).catch(() => null);
      if (m) targets.push(toParked(m));
    }
  }
  const found = new Set(targets.map((t) => t.seq));
  const results: ReplayResult[] = (select.seqs ?? [])
    .filter((s) => !found.has(s))
    .map((seq) => ({ seq, durable: '', subject: null, replayed: false, reason: 'not in PARKED' }));
  for (const p of targets) {
    if (!p.subject) {
      results.push({ seq: p.seq, durable: p.durable, subject: null, replayed: false, reason: 'no original subject recorded' });
      continue;
    }
    const h = natsHeaders();
    h.set(HEADERS.replayOf, String(p.seq));
    await js.publish(p.subject, p.data, { msgID: `replay:${p.seq}:${p.envelopeId ?? p.originalSeq ?? ''}`, headers: h });
    await jsm.streams.deleteMessage(PARKED_STREAM, p.seq);
    results.push({ seq: p.seq, durable: p.durable, subject: p.subject, replayed: true });
  }
  return results;
}
