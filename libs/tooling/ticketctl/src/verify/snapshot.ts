/**
 * What verify reads: the keys its checks need, all at ONE store revision (every page of every
 * prefix is read at it), parsed into compact maps. A concurrent write can therefore never show
 * half of a Txn (a sale without its decrement, a purchase without its stats). Values are parsed
 * leniently where a check must report a bad value (a ticket with remaining > total) rather than
 * fail the whole read.
 */
import { eventRecord, purchaseRecord, saleRecord, statsRecord, type EventRecord, type StatsRecord } from '@ticketcd/contracts';
import { prefixEnd, toStoreError, type EtcdConnection, type KeyValue } from '@ticketcd/etcd';
import { parseKey, prefixes, type ParsedKey } from '@ticketcd/keys';
import { alertRecord, subscriptionRecord, type Alert, type Subscription } from '@ticketcd/notifier-core';
import { decodeMeta } from '@ticketcd/search-text';

/** The key ranges a check can need; `all` is the whole keyspace (orphans: keys that do not parse). */
export type Source =
  | 'events'
  | 'users'
  | 'tickets'
  | 'sales'
  | 'purchases'
  | 'stats'
  | 'search'
  | 'subscriptions'
  | 'alerts'
  | 'favourites'
  | 'orders'
  | 'all';

const PREFIX_OF: Record<Exclude<Source, 'all' | 'subscriptions' | 'favourites'>, string[]> = {
  events: [prefixes.events()],
  users: [prefixes.users()],
  tickets: ['ticket:'],
  sales: [prefixes.sales()],
  purchases: [prefixes.purchases()],
  stats: [prefixes.stats()],
  search: [prefixes.search()],
  alerts: ['alert:'],
  orders: ['order:'],
};
const EXTRA_PREFIXES: Record<'subscriptions' | 'favourites', string[]> = {
  subscriptions: ['notification:', 'subscriber:'],
  favourites: ['favourite:', 'favcount:'],
};

export interface TicketState {
  key: string;
  total: number;
  remaining: number;
  modRevision: number;
}

export interface SaleState {
  key: string;
  eventId: string;
  orderId: string;
  username: string;
  lines: { type: string; quantity: number; unitPrice: number }[];
  total: number;
  at: string;
}

export interface PurchaseState {
  key: string;
  username: string;
  eventId: string;
  orderId: string;
  lines: { type: string; quantity: number; unitPrice: number }[];
  total: number;
}

export interface SubscriptionState {
  key: string;
  username: string;
  eventId: string;
  raw: string;
  /** Null when the value does not parse (reported as malformed). */
  sub: Subscription | null;
  createRevision: number;
  modRevision: number;
}

export interface AlertState {
  key: string;
  username: string;
  alertId: string;
  alert: Alert;
  createRevision: number;
}

/** A key whose value does not parse, charged to the check that owns the key. */
export interface Malformed {
  check: string;
  key: string;
  message: string;
}

export interface Snapshot {
  revision: number;
  /** When the pass read it (for pending items' age). */
  readAt: number;
  sources: Set<Source>;
  /** null: the event exists but its value does not parse (reported under orphans). */
  events: Map<string, EventRecord | null>;
  users: Set<string>;
  /** eventId -> type -> state */
  tickets: Map<string, Map<string, TicketState>>;
  sales: SaleState[];
  /** `<eventId>:<orderId>` -> purchase */
  purchases: Map<string, PurchaseState>;
  /** `stats:<eventId>` and `stats:all` -> kept value */
  stats: Map<string, { eventId: string | null; value: StatsRecord }>;
  /** Every search: key as stored (postings and metas). */
  search: Map<string, string>;
  /** `<user>:<event>` -> the user-side key's subscription */
  notifications: Map<string, SubscriptionState>;
  /** `<user>:<event>` -> the event-side twin */
  subscribers: Map<string, SubscriptionState>;
  alerts: AlertState[];
  /** favourite pairs per event */
  favourites: Map<string, number>;
  /** favcount:<event> -> the raw value */
  favcounts: Map<string, string>;
  /** Keys naming a user or an event, with the parsed key (orphans checks them once users are known). */
  references: { key: string; parsed: ParsedKey }[];
  /** Keys that do not parse in any namespace of the schema. */
  unparseable: { key: string; reason: string }[];
  /** outbox: and outbox-quarantine: entries: work still to be relayed (not orphans). */
  outbox: { waiting: number; quarantined: number };
  malformed: Malformed[];
  /** How many keys the pass read. */
  keysRead: number;
}

export function emptySnapshot(revision: number, sources: Set<Source>): Snapshot {
  return {
    revision,
    readAt: Date.now(),
    sources,
    events: new Map(),
    users: new Set(),
    tickets: new Map(),
    sales: [],
    purchases: new Map(),
    stats: new Map(),
    search: new Map(),
    notifications: new Map(),
    subscribers: new Map(),
    alerts: [],
    favourites: new Map(),
    favcounts: new Map(),
    references: [],
    unparseable: [],
    outbox: { waiting: 0, quarantined: 0 },
    malformed: [],
    keysRead: 0,
  };
}

const json = (value: string): unknown => {
  try {
    return JSON.parse(value);
  } catch {
    return undefined;
  }
};

const issues = (e: { issues: { path: PropertyKey[]; message: string }[] }) =>
  e.issues.map((i) => `${i.path.map(String).join('.') || '(value)'}: ${i.message}`).join('; ');

/** Files one key into the snapshot. Exported for the unit specs. */
export function addKey(snap: Snapshot, kv: Pick<KeyValue, 'key' | 'value' | 'createRevision' | 'modRevision'>): void {
  snap.keysRead++;
  const { key, value } = kv;
  // The search check compares raw keys (a stray that does not parse is still a difference).
  if (key.startsWith(prefixes.search()) && snap.sources.has('search')) snap.search.set(key, value);
  let k: ParsedKey;
  try {
    k = parseKey(key);
  } catch (e) {
    snap.unparseable.push({ key, reason: (e as Error).message.replace(/^cannot parse key "[^"]*": /, '') });
    return;
  }
  const bad = (check: string, message: string): void => {
    snap.malformed.push({ check, key, message });
  };
  // Only the orphans check (a whole-keyspace pass) looks at references: keep them only then.
  const ref = (parsed: ParsedKey) => {
    if (snap.sources.has('all')) snap.references.push({ key, parsed });
  };
  switch (k.kind) {
    case 'user':
      snap.users.add(k.username);
      return;
    case 'event': {
      const r = eventRecord.safeParse(json(value));
      if (r.success) snap.events.set(k.eventId, r.data);
      else {
        bad('orphans', `event value does not parse: ${issues(r.error)}`);
        // It exists, even if unreadable: its keys are not orphans.
        snap.events.set(k.eventId, null);
      }
      return;
    }
    case 'ticket': {
      ref(k);
      const t = json(value) as { total?: unknown; remaining?: unknown } | undefined;
      if (!t || !Number.isInteger(t.total) || !Number.isInteger(t.remaining)) {
        bad('stock', 'ticket value has no integer total and remaining');
        return;
      }
      let types = snap.tickets.get(k.eventId);
      if (!types) snap.tickets.set(k.eventId, (types = new Map()));
      types.set(k.ticketType, { key, total: t.total as number, remaining: t.remaining as number, modRevision: kv.modRevision });
      return;
    }
    case 'sale': {
      ref(k);
      const r = saleRecord.safeParse(json(value));
      if (!r.success) return bad('stock', `sale value does not parse: ${issues(r.error)}`);
      const { username, lines, total, at } = r.data;
      snap.sales.push({ key, eventId: k.eventId, orderId: k.orderId, username, lines, total, at });
      return;
    }
    case 'purchase': {
      ref(k);
      const r = purchaseRecord.safeParse(json(value));
      if (!r.success) return bad('purchases', `purchase value does not parse: ${issues(r.error)}`);
      snap.purchases.set(`${k.eventId}:${k.orderId}`, {
        key,
        username: k.username,
        eventId: k.eventId,
        orderId: k.orderId,
        lines: r.data.lines,
        total: r.data.total,
      });
      return;
    }
    case 'stats':
    case 'statsAll': {
      if (k.kind === 'stats') ref(k);
      const r = statsRecord.safeParse(json(value));
      if (!r.success) return bad('stats', `stats value does not parse: ${issues(r.error)}`);
      snap.stats.set(key, { eventId: k.kind === 'stats' ? k.eventId : null, value: r.data });
      return;
    }
    case 'search':
    case 'searchMeta':
      ref(k);
      if (k.kind === 'searchMeta') {
        try {
          decodeMeta(value);
        } catch (e) {
          bad('search', `index meta does not decode: ${(e as Error).message}`);
        }
      }
      return;
    case 'notification':
    case 'subscriber': {
      ref(k);
      const r = subscriptionRecord.safeParse(json(value));
      if (!r.success) bad('alerts', `subscription value does not parse: ${issues(r.error)}`);
      const state: SubscriptionState = {
        key,
        username: k.username,
        eventId: k.eventId,
        raw: value,
        sub: r.success ? r.data : null,
        createRevision: kv.createRevision,
        modRevision: kv.modRevision,
      };
      (k.kind === 'notification' ? snap.notifications : snap.subscribers).set(`${k.username}:${k.eventId}`, state);
      return;
    }
    case 'alert': {
      ref(k);
      const r = alertRecord.safeParse(json(value));
      if (!r.success) return bad('alerts', `alert value does not parse: ${issues(r.error)}`);
      snap.alerts.push({ key, username: k.username, alertId: k.alertId, alert: r.data, createRevision: kv.createRevision });
      return;
    }
    case 'favourite':
      ref(k);
      snap.favourites.set(k.eventId, (snap.favourites.get(k.eventId) ?? 0) + 1);
      return;
    case 'favcount':
      ref(k);
      snap.favcounts.set(k.eventId, value);
      return;
    case 'order':
      ref(k);
      return;
    case 'outbox':
      snap.outbox.waiting++;
      return;
    case 'outboxQuarantine':
      snap.outbox.quarantined++;
      return;
    case 'session':
    case 'static':
    case 'svc':
      return;
  }
}

/** Every namespace of the schema: the whole-keyspace pass reads each, and the gaps between them, as its own range. */
const NAMESPACES = [
  'alert:',
  'event:',
  'favcount:',
  'favourite:',
  'notification:',
  'order:',
  'outbox-quarantine:',
  'outbox:',
  'purchase:',
  'sale:',
  // The index is the biggest namespace: its four parts are read as ranges of their own.
  'search:location:',
  'search:meta:',
  'search:text:',
  'search:type:',
  'session:',
  'static:',
  'stats:',
  'subscriber:',
  'svc:',
  'ticket:',
  'user:',
];

export interface KeyRange {
  start: Buffer;
  /** Exclusive; `prefixEnd('')` (a single 0 byte) is etcd's "to the end". */
  end: Buffer;
}

const rangeOf = (prefix: string): KeyRange => ({ start: Buffer.from(prefix), end: prefixEnd(prefix) });

/**
 * The ranges to read for these sources. For the whole keyspace: every namespace and every gap
 * between them (where only keys outside the schema can be), so the pass can read them in parallel.
 */
export function rangesFor(sources: Set<Source>): KeyRange[] {
  if (sources.has('all')) {
    const sorted = [...NAMESPACES].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
    const out: KeyRange[] = [];
    let from: Buffer = Buffer.from([0]);
    for (const p of sorted) {
      const r = rangeOf(p);
      if (Buffer.compare(from, r.start) < 0) out.push({ start: from, end: r.start });
      out.push(r);
      from = r.end;
    }
    out.push({ start: from, end: prefixEnd('') });
    return out;
  }
  const out = new Set<string>();
  for (const s of sources) {
    if (s === 'all') continue;
    for (const p of s === 'subscriptions' || s === 'favourites' ? EXTRA_PREFIXES[s] : PREFIX_OF[s]) out.add(p);
  }
  return [...out].sort().map(rangeOf);
}

/** The store's current revision (a one-key read, linearizable, with a short deadline: an unreachable store fails fast). */
export async function currentRevision(conn: EtcdConnection, deadlineMs = 5000): Promise<number> {
  try {
    const res = await conn.kv.get(prefixes.events()).options(conn.deadline(deadlineMs)).exec();
    return Number(res.header.revision);
  } catch (e) {
    throw toStoreError(e, 'reading the store revision');
  }
}

/** Keys per page: big pages, because etcd 3.4 walks the rest of the range for every page it serves. */
const PAGE = 10_000;
/** Ranges read at once. */
const PARALLEL = 6;
const FUTURE = /future revision/i;

const isTooLarge = (e: unknown): boolean => /RESOURCE_EXHAUSTED|larger than max/.test((e as Error)?.message ?? '');

/**
 * Every key in [start, end) at `revision`, page by page. A page over gRPC's size limit is read
 * in halves (and the range goes on at that size). Pages are serializable reads: at a fixed revision
 * every member holds the same history, so no consensus round is needed per page; a member that
 * has not applied `revision` yet says so, and that page is read again linearizably.
 */
export async function* scanRange(ns: EtcdConnection['kv'], range: KeyRange, revision: number, pageSize = PAGE): AsyncGenerator<KeyValue> {
  let start: Buffer = range.start;
  let size = pageSize;
  let serializable = true;
  for (;;) {
    let res;
    try {
      res = await ns
        .getAll()
        .inRange({ start, end: range.end })
        .limit(size)
        .sort('Key', 'Ascend')
        .revision(revision)
        .serializable(serializable)
        .exec();
    } catch (e) {
      if (isTooLarge(e) && size > 1) {
        size = Math.floor(size / 2);
        continue;
      }
      if (serializable && FUTURE.test((e as Error).message)) {
        serializable = false;
        continue;
      }
      throw toStoreError(e, 'verify read');
    }
    serializable = true;
    for (const kv of res.kvs)
      yield {
        key: kv.key.toString(),
        value: kv.value.toString(),
        createRevision: Number(kv.create_revision),
        modRevision: Number(kv.mod_revision),
        version: Number(kv.version),
      };
    if (!res.more || res.kvs.length === 0) return;
    start = Buffer.concat([res.kvs[res.kvs.length - 1]!.key, Buffer.from([0])]);
  }
}

/**
 * Reads the sources at one revision. Ranges are read a few at a time (each page pinned to the
 * revision, so the order does not matter); a pass whose revision got compacted meanwhile
 * throws, and the caller reads again at a newer one.
 */
export async function readSnapshot(conn: EtcdConnection, sources: Set<Source>, revision?: number): Promise<Snapshot> {
  const rev = revision ?? (await currentRevision(conn));
  const snap = emptySnapshot(rev, sources);
  const ranges = rangesFor(sources);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(PARALLEL, ranges.length) }, async () => {
      while (next < ranges.length) {
        const range = ranges[next++]!;
        for await (const kv of scanRange(conn.kv, range, rev)) addKey(snap, kv);
      }
    }),
  );
  return snap;
}
