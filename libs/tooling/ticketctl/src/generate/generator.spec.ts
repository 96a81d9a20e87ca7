/**
 * Issue 16 point 1: `ticketctl generate` is deterministic (same config + seed + anchor -> the same
 * bytes) and every record it makes is one the system accepts (the contracts' schemas, the keys'
 * segment rules), with no duplicate users, emails, ids or (user, event) pairs.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { base, en, Faker } from '@faker-js/faker';
import { deriveOrderId, eventFields, eventRecord, Rpc, ticketRecord, userRecord } from '@ticketcd/contracts';
import { isId, keys } from '@ticketcd/keys';
import { postingsOf } from '@ticketcd/search-text';
import { z } from 'zod';
import type { Dataset } from '../dataset.js';
import { parseDataConfig, parseDataConfigYaml } from './config.js';
import { generateDataset, pickDistinct, sanitiseUsername } from './generator.js';

const ROOT = join(import.meta.dirname, '../../../../..');
const example = (name: string) => parseDataConfigYaml(readFileSync(join(ROOT, 'data', name), 'utf8'), name);
const ANCHOR = '2026-12-01T00:00:00.000Z';
const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

/** A config big enough to hit collisions and every branch, small enough for a unit test. */
const sample = parseDataConfig({
  users: { count: 5000, adminProbability: 0.1 },
  events: { count: 500, ticketTypesPerEvent: { min: 1, max: 4 } },
  ticketTypes: [
    { name: 'pink', price: { min: 10, max: 30 }, total: { min: 1, max: 50 } },
    { name: 'blue', price: { min: 0.5, max: 0.75 }, total: { min: 1, max: 5 } },
    { name: 'green', price: { min: 12.34, max: 12.34 }, total: { min: 100, max: 100 } },
    { name: 'vip-gold', price: { min: 100, max: 999.99 }, total: { min: 1, max: 10 } },
  ],
  favourites: { probability: 0.5, perUser: { min: 1, max: 5 } },
  notifications: { probability: 0.4, perUser: { min: 1, max: 3 }, limit: { min: 1, max: 10 } },
  purchases: { perUser: { min: 0, max: 3 }, linesPerOrder: { min: 1, max: 4 }, quantityPerLine: { min: 1, max: 20 } },
});

/**
 * Every problem of a dataset, as text ([] when sound). Plain checks collected into one list: a
 * jest expect per record would make the big samples slow.
 */
function problemsOf(d: Dataset): string[] {
  const problems: string[] = [];
  const check = (ok: boolean, what: string) => {
    if (!ok && problems.length < 20) problems.push(what);
  };
  const valid = (schema: { safeParse: (v: unknown) => { success: boolean; error?: unknown } }, v: unknown, what: string) => {
    const r = schema.safeParse(v);
    check(r.success, `${what}: ${String(r.error)}`);
  };
  const builds = (build: () => string, what: string) => {
    try {
      build();
    } catch (e) {
      check(false, `${what}: ${(e as Error).message}`);
    }
  };
  const email = z.email();
  const usernames = new Set<string>();
  const emails = new Set<string>();
  for (const u of d.users) {
    builds(() => keys.user(u.username), `user ${u.username}`);
    check(!usernames.has(u.username), `duplicate username ${u.username}`);
    check(!emails.has(u.email), `duplicate email ${u.email}`);
    usernames.add(u.username);
    emails.add(u.email);
    valid(email, u.email, `email ${u.email}`);
    check(u.name.length > 0, `user ${u.username} has no name`);
    valid(userRecord, { ...u, passwordHash: 'scrypt$x', createdAt: d.anchor }, `user ${u.username}`);
  }
  const events = new Map(d.events.map((e) => [e.eventId, e]));
  check(events.size === d.events.length, 'duplicate event ids');
  for (const e of d.events) {
    const what = `event ${e.eventId}`;
    check(isId(e.eventId) && e.eventId === e.eventId.toLowerCase(), `${what}: not a lower-case id`);
    valid(eventFields, e.fields, what);
    valid(eventRecord, { ...e.fields, version: 1, createdAt: d.anchor, updatedAt: d.anchor }, what);
    valid(Rpc.catalog.createEvent.request, { ...e.fields, ticketTypes: e.tickets }, what);
    check(d.static.locations.includes(e.fields.location), `${what}: unknown location`);
    check(d.static.eventTypes.includes(e.fields.type), `${what}: unknown type`);
    check(new Set(e.tickets.map((t) => t.type)).size === e.tickets.length, `${what}: repeated ticket type`);
    for (const t of e.tickets) {
      check(d.static.ticketTypes.includes(t.type), `${what}: unknown ticket type ${t.type}`);
      valid(ticketRecord, { total: t.total, remaining: t.total, price: t.price }, `${what} ticket ${t.type}`);
      builds(() => keys.ticket(e.eventId, t.type), `${what} ticket ${t.type}`);
    }
    builds(() => keys.event(e.eventId), what);
    check(Object.keys(postingsOf(e.eventId, e.fields)).length > 2, `${what}: no search postings`);
  }
  const pairsOf = (list: { username: string; eventId: string }[], kind: string) => {
    const seen = new Set<string>();
    for (const p of list) {
      const k = `${p.username} ${p.eventId}`;
      check(usernames.has(p.username) && events.has(p.eventId), `${kind} ${k}: unknown user or event`);
      check(!seen.has(k), `duplicate ${kind} ${k}`);
      seen.add(k);
    }
  };
  pairsOf(d.favourites, 'favourite');
  pairsOf(d.subscriptions, 'subscription');
  for (const f of d.favourites) {
    valid(Rpc.catalog.addFavourite.request, f, `favourite ${f.username}`);
    builds(() => keys.favourite(f.username, f.eventId), `favourite ${f.username}`);
  }
  for (const s of d.subscriptions) {
    valid(Rpc.notifier.putSubscription.request, s, `subscription ${s.username}`);
    check(s.limit >= 1, `subscription ${s.username}: limit ${s.limit}`);
    builds(() => keys.notification(s.username, s.eventId), `subscription ${s.username}`);
    builds(() => keys.subscriber(s.eventId, s.username), `subscription ${s.username}`);
  }
  const idempotencyKeys = new Set<string>();
  for (const p of d.purchases) {
    const what = `purchase ${p.idempotencyKey}`;
    valid(Rpc.orders.place.request, p, what);
    check(usernames.has(p.username), `${what}: unknown user`);
    const e = events.get(p.eventId);
    if (!e) {
      check(false, `${what}: unknown event`);
      continue;
    }
    check(!idempotencyKeys.has(p.idempotencyKey), `${what}: repeated key`);
    idempotencyKeys.add(p.idempotencyKey);
    const types = p.lines.map((l) => l.type);
    check(new Set(types).size === types.length, `${what}: repeated type`);
    for (const t of types)
      check(
        e.tickets.some((x) => x.type === t),
        `${what}: type ${t} not sold by the event`,
      );
    const total = p.lines.reduce((n, l) => n + l.quantity, 0);
    check(total <= e.fields.maxPerOrder, `${what}: ${total} tickets > maxPerOrder ${e.fields.maxPerOrder}`);
    const orderId = deriveOrderId(p.username, p.idempotencyKey);
    builds(() => keys.order(p.username, orderId), what);
    builds(() => keys.purchase(p.username, p.eventId, orderId), what);
    builds(() => keys.sale(p.eventId, orderId), what);
  }
  return problems;
}

const checkDataset = (d: Dataset) => expect(problemsOf(d)).toEqual([]);

describe('generateDataset', () => {
  it('gives byte-identical JSON for the same config, seed and anchor', () => {
    // Compared by digest: a failure prints two hashes, not two 2 MB strings.
    const a = sha256(JSON.stringify(generateDataset(sample, 42, ANCHOR)));
    const b = sha256(JSON.stringify(generateDataset(sample, 42, ANCHOR)));
    expect(a).toBe(b);
  });

  it('gives different data for a different seed', () => {
    const a = generateDataset(sample, 1, ANCHOR);
    const b = generateDataset(sample, 2, ANCHOR);
    expect(a.users.map((u) => u.username)).not.toEqual(b.users.map((u) => u.username));
    expect(a.events.map((e) => e.eventId)).not.toEqual(b.events.map((e) => e.eventId));
    expect(JSON.stringify(a.purchases)).not.toBe(JSON.stringify(b.purchases));
  });

  it('makes only records the contracts accept and keys the key schema builds, without duplicates', () => {
    const d = generateDataset(sample, 7, ANCHOR);
    expect(d.users.length).toBe(5000);
    expect(d.events.length).toBe(500);
    expect(d.favourites.length).toBeGreaterThan(0);
    expect(d.subscriptions.length).toBeGreaterThan(0);
    expect(d.purchases.length).toBeGreaterThan(0);
    expect(d.users.some((u) => u.role === 'admin')).toBe(true);
    checkDataset(d);
  });

  it('stores prices in cents within the range (0.50 steps when the range has one)', () => {
    const d = generateDataset(sample, 3, ANCHOR);
    const ranges = new Map(sample.ticketTypes.map((t) => [t.name, t.price]));
    for (const t of d.events.flatMap((e) => e.tickets)) {
      const r = ranges.get(t.type)!;
      expect(Number.isInteger(t.price)).toBe(true);
      expect(t.price).toBeGreaterThanOrEqual(Math.round(r.min * 100));
      expect(t.price).toBeLessThanOrEqual(Math.round(r.max * 100));
      if (t.type === 'pink') expect(t.price % 50).toBe(0);
      if (t.type === 'green') expect(t.price).toBe(1234);
    }
  });

  it('draws event dates from the anchor: relative ranges move with it, absolute ones do not', () => {
    const rel = parseDataConfig({ users: { count: 0 }, events: { count: 200, dates: { from: '+7d', to: '+30d' } } });
    for (const anchor of ['2026-12-01T00:00:00.000Z', '2030-06-15T00:00:00.000Z']) {
      const d = generateDataset(rel, 1, anchor);
      const from = Date.parse(anchor) + 7 * 86_400_000;
      const to = Date.parse(anchor) + 30 * 86_400_000;
      for (const e of d.events) {
        expect(Date.parse(e.fields.date)).toBeGreaterThanOrEqual(from);
        expect(Date.parse(e.fields.date)).toBeLessThanOrEqual(to);
      }
    }
    const abs = parseDataConfig({ users: { count: 0 }, events: { count: 50, dates: { from: '2027-03-01', to: '2027-03-02' } } });
    const a = generateDataset(abs, 1, '2026-01-01');
    expect(a.events.map((e) => e.fields.date)).toEqual(generateDataset(abs, 1, '2029-01-01').events.map((e) => e.fields.date));
    for (const e of a.events) expect(e.fields.date >= '2027-03-01' && e.fields.date <= '2027-03-02T00:00:00.000Z').toBe(true);
  });

  it('refuses a mixed date range that the anchor makes empty, naming the field', () => {
    const c = parseDataConfig({ users: { count: 1 }, events: { count: 1, dates: { from: '+10d', to: '2027-01-01' } } });
    expect(() => generateDataset(c, 1, '2026-12-30')).toThrow(/events\.dates\.to: must not be before from/);
    expect(() => generateDataset(c, 1, '2026-12-01')).not.toThrow();
  });

  it("never lets an order's total exceed the event's maxPerOrder, even when lines ask for more", () => {
    const c = parseDataConfig({
      users: { count: 500 },
      events: { count: 20, maxPerOrder: [1, 2, 3], ticketTypesPerEvent: { min: 4, max: 4 } },
      purchases: { perUser: { min: 2, max: 2 }, linesPerOrder: { min: 4, max: 4 }, quantityPerLine: { min: 50, max: 100 } },
    });
    const d = generateDataset(c, 5, ANCHOR);
    expect(d.purchases.length).toBe(1000);
    checkDataset(d);
  });

  it('handles the smallest and empty sizes', () => {
    checkDataset(generateDataset(parseDataConfig({ users: { count: 0 }, events: { count: 0 } }), 1, ANCHOR));
    const noEvents = generateDataset(parseDataConfig({ users: { count: 10 }, events: { count: 0 } }), 1, ANCHOR);
    expect(noEvents.favourites.concat(noEvents.subscriptions)).toEqual([]);
    expect(noEvents.purchases).toEqual([]);
    // More favourites wanted than events exist: capped, still distinct.
    const one = parseDataConfig({
      users: { count: 50 },
      events: { count: 1 },
      favourites: { probability: 1, perUser: { min: 5, max: 5 } },
    });
    const d = generateDataset(one, 1, ANCHOR);
    expect(d.favourites.length).toBe(50);
    checkDataset(d);
  });

  it('generates every example config, deterministically, with valid records (report and demo sizes)', () => {
    for (const name of ['report.yaml', 'demo.yaml']) {
      const c = example(name);
      const d = generateDataset(c, c.seed ?? 1, ANCHOR);
      expect(sha256(JSON.stringify(d))).toBe(sha256(JSON.stringify(generateDataset(c, c.seed ?? 1, ANCHOR))));
      expect(d.users.length).toBe(c.users.count);
      expect(d.events.length).toBe(c.events.count);
      checkDataset(d);
    }
  });

  it('generates data/10k.yaml with valid records in seconds', () => {
    const c = example('10k.yaml');
    const started = performance.now();
    const d = generateDataset(c, 1, ANCHOR);
    expect(performance.now() - started).toBeLessThan(20_000);
    expect(d.users.length).toBe(10_000);
    expect(d.events.length).toBe(1_000);
    checkDataset(d);
  });
});

describe('usernames', () => {
  it('sanitises faker usernames into the key schema', () => {
    expect(sanitiseUsername('Kristi.Barrows11')).toBe('kristi.barrows11');
    expect(sanitiseUsername("D'Angelo__O'Keefe")).toBe('dangelo_okeefe');
    expect(sanitiseUsername('Zoë')).toBe('zoe');
    expect(sanitiseUsername('._A')).toBe('a00');
    expect(sanitiseUsername('!!!')).toBe('user');
    expect(sanitiseUsername('x'.repeat(40))).toHaveLength(24);
  });

  it('are unique with numeric suffixes when many users share names', () => {
    const c = parseDataConfig({ users: { count: 20_000 }, events: { count: 0 } });
    const d = generateDataset(c, 9, ANCHOR);
    expect(new Set(d.users.map((u) => u.username)).size).toBe(20_000);
    expect(new Set(d.users.map((u) => u.email)).size).toBe(20_000);
    for (const u of d.users) expect(u.username).toMatch(/^[a-z0-9_.-]{3,32}$/);
  });
});

describe('pickDistinct', () => {
  it('returns k distinct indices in range, both when few and when most are wanted', () => {
    const f = new Faker({ locale: [en, base] });
    f.seed(1);
    for (const [n, k] of [
      [10, 3],
      [10, 9],
      [10, 10],
      [10, 20],
      [1, 1],
      [0, 3],
    ] as const) {
      const got = pickDistinct(f, n, k);
      expect(got.length).toBe(Math.min(n, k));
      expect(new Set(got).size).toBe(got.length);
      for (const i of got) expect(i >= 0 && i < n).toBe(true);
    }
  });
});
