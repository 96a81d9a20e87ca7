/**
 * Step 2 of a restore, once the restored members are up and before any service starts: JetStream
 * still holds the events of everything done after the snapshot, the store no longer does.
 *
 * A message is *lost* when the commit it reports is not in the restored store (decided from the
 * store, per subject, see `classify`): a sale whose `sale:` key is gone, a stock change of a
 * ticket key last written before it, a catalog change of a version above the stored event's.
 * Every durable consumer would re-create what such a message implies (below), so:
 *  - lost `inventory.tickets.sold` are listed for the operator (order, buyer, e-mail if the
 *    account survived, event, lines, time; a table, lost-orders.json and lost-orders.csv);
 *  - every lost message is deleted from its stream (after the list is written): every consumer
 *    of its subject must skip it alike, and a deleted message is skipped by all of them, also by
 *    one created later (a per-consumer `term` would need each to be pulled past it);
 *  - the same for the PARKED stream (whole): a parked copy of a lost commit is deleted, or a
 *    later `npm run parked -- replay` would re-create what it implies;
 *  - every durable consumer on the scanned streams is recreated to start at the window's first
 *    message (or where it had got to, if that is earlier): what it acked after the snapshot was
 *    applied to the old store only, and is applied again (the consumers are idempotent).
 * What each durable would otherwise re-create from a lost message:
 *    orders-tickets-sold      purchase: and stats: of a sale that no longer exists (verify fails)
 *    notifier-stock           alerts (alert:, notifier.alert.fired) for a stock dip the store never had
 *    search-indexer-catalog   index entries of an event version that no longer exists
 *    inventory-event-deleted  closed tickets of an event whose deletion was lost
 */
import {
  AckPolicy,
  DeliverPolicy,
  jetstream,
  jetstreamManager,
  type ConsumerConfig,
  type JetStreamManager,
  type JsMsg,
} from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/nats-core';
import { eventRecord, Events, HEADERS, PARKED_STREAM, userRecord } from '@ticketcd/contracts';
import type { EtcdConnection } from '@ticketcd/etcd';
import { keys } from '@ticketcd/keys';
import fs from 'node:fs';
import path from 'node:path';
import { RestoreError } from './member.js';

/** Streams whose consumers write to etcd from what they receive. */
export const REALIGNED_STREAMS = ['INVENTORY', 'CATALOG'] as const;

export interface RealignOptions {
  etcd: EtcdConnection;
  nc: NatsConnection;
  /** When the snapshot was taken. */
  since: Date;
  /** Scanned before `since` too: consumer lag at the snapshot, clocks (default 10 min). */
  marginMs?: number;
  /** Where lost-orders.json / .csv go (none: not written). */
  outDir?: string;
  /** List and plan only: delete nothing, recreate nothing. */
  dryRun?: boolean;
  /** The whole run's deadline (default 10 min). */
  timeoutMs?: number;
  /** Each NATS request's (default 5 s). */
  natsTimeoutMs?: number;
  log?: (line: string) => void;
}

export interface LostOrder {
  orderId: string;
  username: string;
  /** null: the account was created after the snapshot too. */
  email: string | null;
  name: string | null;
  eventId: string;
  /** null: the event was created after the snapshot too. */
  eventName: string | null;
  lines: { type: string; quantity: number; unitPrice: number }[];
  total: number;
  at: string;
  stream: string;
  seq: number;
}

export interface StreamReport {
  stream: string;
  scanned: number;
  lost: number;
  /** Lost, by subject. */
  lostBySubject: Record<string, number>;
  /** Messages that did not parse (left alone: their consumers park them). */
  unreadable: number;
  firstSeq: number | null;
}

export interface ConsumerReport {
  stream: string;
  durable: string;
  filter: string;
  ackFloor: number;
  /** Where it now starts (null: unchanged). */
  startSeq: number | null;
}

export interface RealignReport {
  storeRevision: number;
  window: { from: string; since: string };
  streams: StreamReport[];
  consumers: ConsumerReport[];
  lostOrders: LostOrder[];
  deleted: number;
  dryRun: boolean;
  files: string[];
}

interface Scanned {
  stream: string;
  seq: number;
  subject: string;
  data: Record<string, unknown>;
  occurredAt: string;
}

type Verdict = { lost: boolean };

/** Reads keys with a deadline each, a few at a time. */
class StoreReader {
  private readonly cache = new Map<string, Promise<{ value: string; modRevision: number } | null>>();
  constructor(private readonly etcd: EtcdConnection) {}

  get(key: string) {
    let p = this.cache.get(key);
    if (!p) {
      p = this.etcd.kv
        .get(key)
        .options(this.etcd.deadline())
        .exec()
        .then((r) => {
          const kv = r.kvs[0];
          return kv ? { value: kv.value.toString(), modRevision: Number(kv.mod_revision) } : null;
        });
      this.cache.set(key, p);
    }
    return p;
  }
}

async function mapLimit<T, R>(items: T[], limit: number, fn: (t: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        out[i] = await fn(items[i]!);
      }
    }),
  );
  return out;
}

/** Is the commit this message reports in the restored store? Decided from the store alone. */
async function classify(m: Scanned, store: StoreReader): Promise<Verdict | null> {
  if (m.subject === Events.inventory.ticketsSold.type) {
    const d = Events.inventory.ticketsSold.data.safeParse(m.data);
    if (!d.success) return null;
    return { lost: (await store.get(keys.sale(d.data.eventId, d.data.orderId))) === null };
  }
  if (m.subject === Events.inventory.stockChanged.type) {
    const d = Events.inventory.stockChanged.data.safeParse(m.data);
    if (!d.success) return null;
    // The commit wrote this ticket key at `revision`: in the store iff the key's last write is at or after it.
    const t = await store.get(keys.ticket(d.data.eventId, d.data.ticketType));
    return { lost: t === null || t.modRevision < d.data.revision };
  }
  if (m.subject.startsWith('catalog.event.')) {
    const d = Events.catalog.eventCreated.data.pick({ eventId: true, version: true }).safeParse(m.data);
    if (!d.success) return null;
    const e = await store.get(keys.event(d.data.eventId));
    if (!e) return { lost: true };
    const rec = eventRecord.safeParse(JSON.parse(e.value));
    return { lost: rec.success ? rec.data.version < d.data.version : false };
  }
  return { lost: false };
}

export async function realign(o: RealignOptions): Promise<RealignReport> {
  const log = o.log ?? (() => undefined);
  const deadlineAt = Date.now() + (o.timeoutMs ?? 600_000);
  const checkTime = (what: string) => {
    if (Date.now() > deadlineAt) throw new RestoreError(`not done within ${o.timeoutMs ?? 600_000} ms (${what})`, 75);
  };
  const marginMs = o.marginMs ?? 10 * 60_000;
  const from = new Date(o.since.getTime() - marginMs);
  const store = new StoreReader(o.etcd);

  let storeRevision: number;
  try {
    const r = await o.etcd.kv.get(keys.statsAll()).options(o.etcd.deadline()).exec();
    storeRevision = Number(r.header.revision);
  } catch (e) {
    throw new RestoreError(`etcd unreachable: ${(e as Error).message}`, 69);
  }
  let jsm: JetStreamManager;
  try {
    jsm = await jetstreamManager(o.nc, { timeout: o.natsTimeoutMs ?? 5000 });
  } catch (e) {
    throw new RestoreError(`NATS JetStream unreachable: ${(e as Error).message}`, 69);
  }
  const js = jetstream(o.nc, { timeout: o.natsTimeoutMs ?? 5000 });
  log(
    `store at revision ${storeRevision}; scanning JetStream from ${from.toISOString()} (snapshot ${o.since.toISOString()} - ${marginMs / 60_000} min)`,
  );

  // Consumers first: a durable someone still pulls from means a service is running.
  const durables: { stream: string; info: Awaited<ReturnType<JetStreamManager['consumers']['info']>> }[] = [];
  for (const stream of REALIGNED_STREAMS) {
    try {
      await jsm.streams.info(stream);
    } catch (e) {
      if (/not found/i.test((e as Error).message)) continue;
      throw new RestoreError(`NATS: stream ${stream}: ${(e as Error).message}`, 69);
    }
    for await (const info of jsm.consumers.list(stream)) if (info.config.durable_name) durables.push({ stream, info });
  }
  // A stopped service's pull requests expire within 30 s (its fetch expiry); a live one renews them.
  const idleBy = Math.min(deadlineAt, Date.now() + 40_000);
  for (const d of durables) {
    for (;;) {
      const info = await jsm.consumers.info(d.stream, d.info.name);
      if (!info.num_waiting) break;
      if (Date.now() > idleBy)
        throw new RestoreError(
          `durable ${d.info.name} on ${d.stream} is being pulled from (${info.num_waiting} pull requests): stop every service before realign`,
          75,
        );
      await new Promise((r) => setTimeout(r, 1000));
    }
  }

  const streams: StreamReport[] = [];
  const lostMsgs: Scanned[] = [];
  let maxRevisionSeen = 0;
  // PARKED too, all of it (kept small by operators): a lost commit's parked copy replayed later
  // (`npm run parked -- replay`) would re-create what its original would have.
  for (const stream of [...REALIGNED_STREAMS, PARKED_STREAM]) {
    const parked = stream === PARKED_STREAM;
    const report: StreamReport = { stream, scanned: 0, lost: 0, lostBySubject: {}, unreadable: 0, firstSeq: null };
    streams.push(report);
    let info;
    try {
      info = await jsm.streams.info(stream);
    } catch (e) {
      if (/not found/i.test((e as Error).message)) continue;
      throw e;
    }
    if (!info.state.messages || (!parked && new Date(info.state.last_ts).getTime() < from.getTime())) continue;
    const scanned: Scanned[] = [];
    const oc = await js.consumers.get(
      stream,
      parked ? { deliver_policy: DeliverPolicy.All } : { deliver_policy: DeliverPolicy.StartTime, opt_start_time: from.toISOString() },
    );
    try {
      for (let done = false; !done;) {
        checkTime(`scanning ${stream}`);
        let got = 0;
        const batch = await oc.fetch({ max_messages: 1000, expires: 2000 });
        for await (const m of batch) {
          got++;
          scanned.push(parse(stream, m, parked ? m.headers?.get(HEADERS.parkedSubject) || m.subject : m.subject));
          if (m.info.pending === 0) {
            done = true;
            break;
          }
        }
        if (!got) done = true;
      }
    } finally {
      await oc.delete().catch(() => undefined);
    }
    report.scanned = scanned.length;
    report.firstSeq = scanned[0]?.seq ?? null;
    // The message just before the window must be in the store: a lost one there means --since is
    // after the snapshot and the window misses lost commits.
    if (!parked && report.firstSeq !== null && report.firstSeq > info.state.first_seq) {
      for (let seq = report.firstSeq - 1; seq >= Math.max(info.state.first_seq, report.firstSeq - 20); seq--) {
        const prev = await jsm.streams.getMessage(stream, { seq }).catch(() => null);
        if (!prev) continue;
        let env: { data?: Record<string, unknown> } = {};
        try {
          env = JSON.parse(new TextDecoder().decode(prev.data)) as typeof env;
        } catch {
          break; // unreadable: proves nothing either way
        }
        const v = await classify({ stream, seq, subject: prev.subject, data: env?.data ?? {}, occurredAt: '' }, store);
        if (v?.lost)
          throw new RestoreError(
            `${stream} #${seq}, before the window, reports a commit the store does not have: --since is after the snapshot; give an earlier one`,
            64,
          );
        break;
      }
    }
    const verdicts = await mapLimit(scanned, 32, async (m) => {
      checkTime(`reading etcd for ${stream}`);
      try {
        return await classify(m, store);
      } catch (e) {
        throw new RestoreError(`etcd: reading what ${m.subject} #${m.seq} refers to: ${(e as Error).message}`, 69);
      }
    });
    scanned.forEach((m, i) => {
      const rev = typeof m.data.revision === 'number' ? m.data.revision : 0;
      maxRevisionSeen = Math.max(maxRevisionSeen, rev);
      const v = verdicts[i];
      if (v === null) report.unreadable++;
      else if (v?.lost) {
        report.lost++;
        report.lostBySubject[m.subject] = (report.lostBySubject[m.subject] ?? 0) + 1;
        lostMsgs.push(m);
      }
    });
    log(
      `${stream}: ${report.scanned} message(s) ${parked ? 'parked' : 'in the window'}, ${report.lost} lost (${JSON.stringify(report.lostBySubject)})`,
    );
  }

  // A revision in JetStream at or above the store's: new commits would reuse revisions already seen.
  if (maxRevisionSeen >= storeRevision)
    throw new RestoreError(
      `the restored store is at revision ${storeRevision} but JetStream holds a commit at revision ${maxRevisionSeen}: ` +
        'restore again with a larger --bump-revision (new commits would reuse revisions the services and the streams have seen)',
      65,
    );

  const lostOrders = await mapLimit(
    // Listed from INVENTORY only: a parked sale's original is there too.
    lostMsgs.filter((m) => m.stream !== PARKED_STREAM && m.subject === Events.inventory.ticketsSold.type),
    32,
    async (m): Promise<LostOrder> => {
      const d = Events.inventory.ticketsSold.data.parse(m.data);
      const [u, e] = await Promise.all([store.get(keys.user(d.username)), store.get(keys.event(d.eventId))]);
      const user = u ? userRecord.safeParse(JSON.parse(u.value)) : null;
      const event = e ? eventRecord.safeParse(JSON.parse(e.value)) : null;
      return {
        orderId: d.orderId,
        username: d.username,
        email: user?.success ? user.data.email || null : null,
        name: user?.success ? user.data.name || null : null,
        eventId: d.eventId,
        eventName: event?.success ? event.data.name : null,
        lines: d.lines.map((l) => ({ type: l.type, quantity: l.quantity, unitPrice: l.unitPrice })),
        total: d.total,
        at: m.occurredAt,
        stream: m.stream,
        seq: m.seq,
      };
    },
  );
  lostOrders.sort((a, b) => a.at.localeCompare(b.at) || a.orderId.localeCompare(b.orderId));

  const report: RealignReport = {
    storeRevision,
    window: { from: from.toISOString(), since: o.since.toISOString() },
    streams,
    consumers: [],
    lostOrders,
    deleted: 0,
    dryRun: !!o.dryRun,
    files: [],
  };
  // The list is written before anything is deleted: it is the only record left of those sales.
  if (o.outDir) report.files = writeLostOrders(o.outDir, report);

  for (const d of durables) {
    const cfg = d.info.config;
    const filters = cfg.filter_subjects?.length ? cfg.filter_subjects : cfg.filter_subject ? [cfg.filter_subject] : [];
    const ackFloor = d.info.ack_floor.stream_seq;
    const firstInWindow = streams.find((s) => s.stream === d.stream)?.firstSeq ?? null;
    const startSeq = firstInWindow === null ? null : Math.min(firstInWindow, ackFloor + 1);
    report.consumers.push({ stream: d.stream, durable: d.info.name, filter: filters.join(',') || '(all)', ackFloor, startSeq });
  }
  if (o.dryRun) return report;

  // Lost messages go from their streams: no consumer of the subject may apply them.
  await mapLimit(lostMsgs, 16, async (m) => {
    checkTime('deleting lost messages');
    try {
      await jsm.streams.deleteMessage(m.stream, m.seq, false);
      report.deleted++;
    } catch (e) {
      if (!/no message found|not found/i.test((e as Error).message))
        throw new RestoreError(`NATS: deleting ${m.stream} #${m.seq}: ${(e as Error).message}`, 69);
    }
  });

  // Each durable again from the window (or from where it was, if earlier): same settings, same name.
  for (const c of report.consumers) {
    if (c.startSeq === null) continue;
    checkTime(`recreating ${c.durable}`);
    const old = durables.find((d) => d.info.name === c.durable && d.stream === c.stream)!.info.config;
    const next: Partial<ConsumerConfig> = {
      durable_name: c.durable,
      ack_policy: AckPolicy.Explicit,
      deliver_policy: DeliverPolicy.StartSequence,
      opt_start_seq: c.startSeq,
      ack_wait: old.ack_wait,
      max_deliver: old.max_deliver,
      max_ack_pending: old.max_ack_pending,
      ...(old.filter_subject ? { filter_subject: old.filter_subject } : {}),
      ...(old.filter_subjects?.length ? { filter_subjects: old.filter_subjects } : {}),
    };
    await jsm.consumers.delete(c.stream, c.durable);
    await jsm.consumers.add(c.stream, next);
  }
  return report;
}

function parse(stream: string, m: JsMsg, subject: string): Scanned {
  let env: { data?: unknown; occurredAt?: unknown } = {};
  try {
    env = JSON.parse(new TextDecoder().decode(m.data)) as typeof env;
  } catch {
    // classify() finds no fields: counted as unreadable, left alone
  }
  const data = env && typeof env.data === 'object' && env.data !== null ? (env.data as Record<string, unknown>) : {};
  return {
    stream,
    seq: m.seq,
    subject,
    data,
    occurredAt: typeof env?.occurredAt === 'string' ? env.occurredAt : m.time.toISOString(),
  };
}

const CSV_COLUMNS = ['orderId', 'username', 'email', 'name', 'eventId', 'eventName', 'lines', 'total', 'at'] as const;

function csvCell(v: unknown): string {
  const s = v === null || v === undefined ? '' : String(v);
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function lostOrdersCsv(orders: LostOrder[]): string {
  const rows = orders.map((o) =>
    CSV_COLUMNS.map((c) => csvCell(c === 'lines' ? o.lines.map((l) => `${l.type} x${l.quantity} @${l.unitPrice}`).join('; ') : o[c])).join(
      ',',
    ),
  );
  return [CSV_COLUMNS.join(','), ...rows].join('\n') + '\n';
}

function writeLostOrders(dir: string, report: RealignReport): string[] {
  fs.mkdirSync(dir, { recursive: true });
  // Never over an earlier run's list: a second run no longer finds the messages the first deleted.
  let n = 1;
  const name = (ext: string) => path.join(dir, n === 1 ? `lost-orders.${ext}` : `lost-orders-${n}.${ext}`);
  while (fs.existsSync(name('json')) || fs.existsSync(name('csv'))) n++;
  const json = name('json');
  const csv = name('csv');
  const body = { storeRevision: report.storeRevision, window: report.window, orders: report.lostOrders };
  fs.writeFileSync(json, `${JSON.stringify(body, null, 2)}\n`);
  fs.writeFileSync(csv, lostOrdersCsv(report.lostOrders));
  return [json, csv];
}

/** The operator's table: one line per lost order. */
export function lostOrdersTable(orders: LostOrder[]): string {
  const head = ['order', 'buyer', 'email', 'event', 'tickets', 'total', 'at'];
  const rows = orders.map((o) => [
    o.orderId,
    o.username,
    o.email ?? '(account lost too)',
    o.eventName ? `${o.eventName} (${o.eventId})` : `${o.eventId} (event lost too)`,
    o.lines.map((l) => `${l.type} x${l.quantity}`).join(', '),
    (o.total / 100).toFixed(2),
    o.at,
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (r: string[]) =>
    r
      .map((c, i) => c.padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  return [line(head), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}
