/**
 * The dataset generator: a pure function of (config, seed, anchor). Every random choice comes from
 * a local Faker seeded per phase (users, events, favourites, subscriptions, purchases), so the same
 * inputs give the same dataset byte for byte, and changing, say, the purchase settings leaves the
 * users and events as they were. No clock, no global Faker, no Math.random.
 *
 * Linear in the output: users and events are drawn once, distinct picks use a small set (or a
 * partial shuffle when most of the range is wanted), nothing compares all pairs.
 */
import { base, en, Faker } from '@faker-js/faker';
import { derivedId, isId, isUsername } from '@ticketcd/keys';
import { createHash } from 'node:crypto';
import { DATASET_VERSION, type Dataset, type DatasetEvent, type DatasetPurchase, type DatasetUser } from '../dataset.js';
import { anchorMs, type DataConfig, DataConfigError, offsetMs } from './config.js';

/** Phases: each draws from its own stream, so one phase's settings do not reshuffle another's data. */
const PHASE = { users: 1, events: 2, favourites: 3, subscriptions: 4, purchases: 5 } as const;

/** Event times land on the half hour, mostly in the evening. */
const SLOT_MS = 30 * 60_000;
const DAY_MS = 86_400_000;

/** Reserved example domains (RFC 2606): generated accounts never mail a real person. */
const EMAIL_DOMAINS = ['example.com', 'example.org', 'example.net'];

/** Room left in a username for a collision suffix (usernames are at most 32 characters). */
const USERNAME_BASE_MAX = 24;

function streamOf(seed: number, phase: number): Faker {
  const f = new Faker({ locale: [en, base] });
  f.seed([seed, phase]);
  return f;
}

const int = (f: Faker, r: { min: number; max: number }) => (r.min >= r.max ? r.min : f.number.int({ min: r.min, max: r.max }));
const chance = (f: Faker, p: number) => (p <= 0 ? false : p >= 1 ? true : f.datatype.boolean({ probability: p }));

/**
 * `k` distinct indices of [0, n), in drawn order. Rejection with a set while few are wanted; a
 * partial Fisher-Yates when most are (so it never loops long), O(n) only in that case.
 */
export function pickDistinct(f: Faker, n: number, k: number): number[] {
  const want = Math.min(k, n);
  if (want <= 0) return [];
  if (want * 2 <= n) {
    const seen = new Set<number>();
    const out: number[] = [];
    while (out.length < want) {
      const i = f.number.int({ min: 0, max: n - 1 });
      if (!seen.has(i)) {
        seen.add(i);
        out.push(i);
      }
    }
    return out;
  }
  const all = Array.from({ length: n }, (_, i) => i);
  for (let i = 0; i < want; i++) {
    const j = f.number.int({ min: i, max: n - 1 });
    [all[i], all[j]] = [all[j]!, all[i]!];
  }
  return all.slice(0, want);
}

/** A faker username made key-safe: a-z 0-9 and single `.`/`_`/`-` between characters, 3..24 long. */
export function sanitiseUsername(raw: string): string {
  let s = raw
    .normalize('NFKD')
    .replace(/\p{M}+/gu, '')
    .toLowerCase()
    .replace(/[^a-z0-9_.-]+/g, '')
    .replace(/([_.-])[_.-]+/g, '$1')
    .replace(/^[_.-]+/, '');
  s = s.slice(0, USERNAME_BASE_MAX).replace(/[_.-]+$/, '');
  if (s.length === 0) s = 'user';
  while (s.length < 3) s += '0';
  return s;
}

/** Hands out unique usernames: a taken base gets the next free numeric suffix (amortised O(1)). */
class UsernamePool {
  private readonly taken = new Set<string>();
  private readonly nextSuffix = new Map<string, number>();

  claim(baseName: string): string {
    let name = baseName;
    if (this.taken.has(name)) {
      let n = this.nextSuffix.get(baseName) ?? 2;
      do name = `${baseName}${n++}`;
      while (this.taken.has(name));
      this.nextSuffix.set(baseName, n);
    }
    this.taken.add(name);
    return name;
  }
}

const cap = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);
const label = (slug: string) => slug.split('-').map(cap).join(' ');

function eventName(f: Faker, type: string): string {
  const name = f.helpers.arrayElement([
    () => f.music.songName(),
    () => `${cap(f.word.adjective())} ${cap(f.word.noun())}`,
    () => `The ${cap(f.word.noun())} ${label(type)}`,
    () => `${f.person.lastName()} ${label(type)} Night`,
  ])();
  return name.trim().slice(0, 200).trim() || label(type);
}

function eventDescription(f: Faker, type: string, location: string): string {
  return `${cap(f.word.adjective())} ${label(type).toLowerCase()} in ${label(location)}, with ${f.person.firstName()} ${f.person.lastName()}. ${f.company.catchPhrase()}.`;
}

/** A price in cents within [min, max] currency units: a multiple of 0.50 when the range has one. */
function priceCents(f: Faker, r: { min: number; max: number }): number {
  const lo = Math.round(r.min * 100);
  const hi = Math.round(r.max * 100);
  const first = Math.ceil(lo / 50);
  const last = Math.floor(hi / 50);
  if (first <= last) return f.number.int({ min: first, max: last }) * 50;
  return int(f, { min: lo, max: hi });
}

/** Evening start times (UTC), in half hours after midnight: 18:00 .. 22:30. */
const EVENING_SLOTS = [36, 37, 38, 39, 40, 41, 42, 43, 44, 45];

/**
 * An ISO date-time in [fromMs, toMs]: a random day at an evening half hour, or any half hour when
 * that evening falls outside the range (a range of hours), or fromMs itself when no slot fits.
 */
function dateIn(f: Faker, fromMs: number, toMs: number): string {
  const day = f.number.int({ min: Math.floor(fromMs / DAY_MS), max: Math.floor(toMs / DAY_MS) });
  const evening = day * DAY_MS + f.helpers.arrayElement(EVENING_SLOTS) * SLOT_MS;
  if (evening >= fromMs && evening <= toMs) return new Date(evening).toISOString();
  const first = Math.ceil(fromMs / SLOT_MS);
  const last = Math.floor(toMs / SLOT_MS);
  return new Date(first <= last ? f.number.int({ min: first, max: last }) * SLOT_MS : fromMs).toISOString();
}

function generateUsers(config: DataConfig, f: Faker): DatasetUser[] {
  const pool = new UsernamePool();
  const users: DatasetUser[] = [];
  for (let i = 0; i < config.users.count; i++) {
    const firstName = f.person.firstName();
    const lastName = f.person.lastName();
    const username = pool.claim(sanitiseUsername(f.internet.username({ firstName, lastName })));
    if (!isUsername(username)) throw new Error(`generator bug: username ${JSON.stringify(username)} is not key-safe`);
    users.push({
      username,
      name: `${firstName} ${lastName}`,
      // Unique because the username is.
      email: `${username}@${f.helpers.arrayElement(EMAIL_DOMAINS)}`,
      role: chance(f, config.users.adminProbability) ? 'admin' : 'user',
    });
  }
  return users;
}

function generateEvents(config: DataConfig, f: Faker, anchor: number, tag: string): DatasetEvent[] {
  const fromMs = offsetMs(config.events.dates.from, anchor);
  const toMs = offsetMs(config.events.dates.to, anchor);
  if (fromMs > toMs) {
    throw new DataConfigError('', [
      `events.dates.to: must not be before from (${new Date(toMs).toISOString()} < ${new Date(fromMs).toISOString()} with anchor ${new Date(anchor).toISOString()})`,
    ]);
  }
  const types = config.ticketTypes;
  const perEvent = { min: config.events.ticketTypesPerEvent.min, max: Math.min(config.events.ticketTypesPerEvent.max, types.length) };
  const ids = new Set<string>();
  const events: DatasetEvent[] = [];
  for (let i = 0; i < config.events.count; i++) {
    // From the dataset's tag, not the faker stream: two configs with one seed share no event id.
    const eventId = derivedId('ticketctl-event', tag, i);
    if (!isId(eventId) || ids.has(eventId)) throw new Error(`generator bug: event id ${eventId} is not an id`);
    ids.add(eventId);
    const location = f.helpers.arrayElement(config.locations);
    const type = f.helpers.arrayElement(config.eventTypes);
    const fields = {
      name: eventName(f, type),
      description: eventDescription(f, type, location),
      location,
      type,
      date: dateIn(f, fromMs, toMs),
      maxPerOrder: f.helpers.arrayElement(config.events.maxPerOrder),
    };
    // In config order, so an event's tickets read like the config.
    const chosen = pickDistinct(f, types.length, int(f, perEvent)).sort((a, b) => a - b);
    const tickets = chosen.map((t) => ({ type: types[t]!.name, total: int(f, types[t]!.total), price: priceCents(f, types[t]!.price) }));
    events.push({ eventId, fields, tickets });
  }
  return events;
}

/** (user, event) pairs without duplicates: each chosen user gets distinct events. */
function pairs<T>(
  users: DatasetUser[],
  events: DatasetEvent[],
  f: Faker,
  s: { probability: number; perUser: { min: number; max: number } },
  make: (u: DatasetUser, e: DatasetEvent) => T,
): T[] {
  const out: T[] = [];
  if (events.length === 0) return out;
  for (const u of users) {
    if (!chance(f, s.probability)) continue;
    for (const e of pickDistinct(f, events.length, int(f, s.perUser))) out.push(make(u, events[e]!));
  }
  return out;
}

function generatePurchases(config: DataConfig, users: DatasetUser[], events: DatasetEvent[], f: Faker, tag: string): DatasetPurchase[] {
  const out: DatasetPurchase[] = [];
  if (events.length === 0) return out;
  const p = config.purchases;
  for (const u of users) {
    const orders = int(f, p.perUser);
    for (let o = 0; o < orders; o++) {
      const e = events[f.number.int({ min: 0, max: events.length - 1 })]!;
      const max = e.fields.maxPerOrder;
      const lineCount = Math.min(int(f, p.linesPerOrder), e.tickets.length, max);
      const picked = pickDistinct(f, e.tickets.length, lineCount);
      // Every line gets at least one ticket and the order's total stays within maxPerOrder.
      let budget = max;
      const lines = picked.map((t, i) => {
        const quantity = Math.min(int(f, p.quantityPerLine), budget - (picked.length - i - 1));
        budget -= quantity;
        return { type: e.tickets[t]!.type, quantity };
      });
      out.push({ username: u.username, eventId: e.eventId, idempotencyKey: `gen-${tag}-${out.length}`, lines });
    }
  }
  return out;
}

/**
 * The dataset for `config`, `seed` and `anchor` (an ISO date or date-time; relative event dates
 * count from it). Throws DataConfigError when the anchor makes the date range empty.
 */
export function generateDataset(config: DataConfig, seed: number, anchor: string): Dataset {
  const at = anchorMs(anchor);
  if (Number.isNaN(at)) throw new DataConfigError('', [`anchor: ${JSON.stringify(anchor)} is not a date`]);
  // Names this dataset (config and seed, not the anchor: that moves only dates) in its event ids
  // and idempotency keys, so datasets loaded side by side never take each other's ids.
  const { anchor: _anchor, ...keyed } = config as DataConfig & { anchor?: string };
  const tag = createHash('sha256')
    .update(JSON.stringify({ config: keyed, seed }))
    .digest('hex')
    .slice(0, 12);
  const users = generateUsers(config, streamOf(seed, PHASE.users));
  const events = generateEvents(config, streamOf(seed, PHASE.events), at, tag);
  const favourites = pairs(users, events, streamOf(seed, PHASE.favourites), config.favourites, (u, e) => ({
    username: u.username,
    eventId: e.eventId,
  }));
  const subsStream = streamOf(seed, PHASE.subscriptions);
  const subscriptions = pairs(users, events, subsStream, config.notifications, (u, e) => ({
    username: u.username,
    eventId: e.eventId,
    limit: int(subsStream, config.notifications.limit),
  }));
  const purchases = generatePurchases(config, users, events, streamOf(seed, PHASE.purchases), tag);
  return {
    version: DATASET_VERSION,
    seed,
    anchor: new Date(at).toISOString(),
    static: { locations: [...config.locations], eventTypes: [...config.eventTypes], ticketTypes: config.ticketTypes.map((t) => t.name) },
    users,
    events,
    favourites,
    subscriptions,
    purchases,
  };
}

/** Counts for the one-line summary. */
export function datasetSummary(d: Dataset): string {
  const admins = d.users.filter((u) => u.role === 'admin').length;
  const ticketTypes = d.events.reduce((n, e) => n + e.tickets.length, 0);
  return (
    `${d.users.length} users (${admins} admins), ${d.events.length} events, ${ticketTypes} ticket types, ` +
    `${d.favourites.length} favourites, ${d.subscriptions.length} subscriptions, ${d.purchases.length} purchases ` +
    `(seed ${d.seed}, anchor ${d.anchor})`
  );
}
