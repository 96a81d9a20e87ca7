/**
 * ticketctl populate: loads a dataset fast and correctly.
 *
 * - Users, events (with their ticket keys and search index entries), static lists, favourites
 *   (with favcount) and subscriptions go in batched Txns (BulkWriter: at most 128 ops, several in
 *   flight), each entity guarded by Create==0, so a re-run or a resent Txn creates nothing twice.
 * - Purchases go the way real sales go: through the inventory engine itself (the same
 *   decide-and-commit code and Txn as the inventory service), which writes the decrement, the
 *   sale: record, the order's `order:` key and the outbox entry in one Txn. The running
 *   inventory relays that entry, so orders records the purchase and stats, and the notifier
 *   fires alerts, as for any sale. A sold-out order is refused, never oversold.
 * - Before each phase a keys-only scan finds what exists; only the rest is written.
 */
import { AppError, buildEnvelope, Events, orderClaimRecord, sameOrder, ticketRecord, type EventEnvelope } from '@ticketcd/contracts';
import { guardedWrite, listPrefix, toStoreError, unconditionalTxn, writeInChunks, type EtcdConnection, type WriteOp } from '@ticketcd/etcd';
import { PurchaseEngine, type PurchaseOutcome } from '@ticketcd/inventory-core';
import { keys, parseKey, prefixes, STATIC_LISTS, type StaticListName } from '@ticketcd/keys';
import { putSubscription } from '@ticketcd/notifier-core';
import { newTraceId } from '@ticketcd/observability';
import { outboxPut } from '@ticketcd/platform';
import { ulid } from 'ulid';
import type { Dataset, DatasetPurchase } from '../dataset.js';
import { BulkWriter, existingKeys, type Unit } from './bulk-writer.js';
import { passwordPool, writeCredentials } from './passwords.js';
import { eventWrite, favouriteUnits, orderIdOf, userUnit } from './plan.js';
import type { Progress } from './progress.js';

export interface PopulateOptions {
  /** Txns in flight at once. */
  concurrency: number;
  /** Distinct passwords among the generated accounts (each hashed once, at full cost). */
  passwordPool: number;
  /** Where the created accounts' passwords go (null: nowhere). */
  credentialsFile: string | null;
  dryRun: boolean;
  /** Orders in flight at once through the engine. */
  purchaseWindow: number;
  /** How long to wait for the services to record the new sales as purchases (0: do not wait). */
  waitMs: number;
}

export interface PhaseResult {
  phase: string;
  planned: number;
  existing: number;
  created: number;
  keys: number;
  ms: number;
}

export interface PopulateReport {
  dryRun: boolean;
  phases: PhaseResult[];
  keys: number;
  ms: number;
  keysPerSecond: number;
  sales: { sold: number; refused: Record<string, number>; existing: number; conflicts: number };
  background: { waitedMs: number; pending: number; inventoryRunning: boolean };
  credentialsFile: string | null;
}

const STATIC_OF: Record<StaticListName, (d: Dataset) => string[]> = {
  locations: (d) => d.static.locations,
  'event-types': (d) => d.static.eventTypes,
  'ticket-types': (d) => d.static.ticketTypes,
};

export class Populate {
  private readonly phases: PhaseResult[] = [];

  constructor(
    private readonly etcd: EtcdConnection,
    private readonly progress: Progress,
    private readonly opts: PopulateOptions,
  ) {}

  async run(d: Dataset): Promise<PopulateReport> {
    const started = Date.now();
    // Events first (subscriptions are decided against their stock, sales need them), then
    // subscriptions before any sale, so every sale's stock change is news to them. Phases run
    // one after another: the engine's small read-and-commit round trips starve behind 32 bulk
    // Txns in flight (measured: most of its batches then missed their deadlines and resent).
    await this.staticLists(d);
    await this.events(d);
    await this.subscriptions(d);
    const credentials = await this.users(d);
    await this.bulk('favourites', favouriteUnits(d, d.anchor), prefixes.favourites());
    const sales = await this.purchases(d);
    const keysWritten = this.phases.reduce((n, p) => n + p.keys, 0);
    const ms = Date.now() - started;
    const background = this.opts.dryRun
      ? { waitedMs: 0, pending: 0, inventoryRunning: false }
      : await this.waitForBackground(sales.soldOrders);
    return {
      dryRun: this.opts.dryRun,
      phases: this.phases,
      keys: keysWritten,
      ms,
      keysPerSecond: Math.round(keysWritten / Math.max(0.001, ms / 1000)),
      sales: { sold: sales.sold, refused: sales.refused, existing: sales.existing, conflicts: sales.conflicts },
      background,
      credentialsFile: credentials,
    };
  }

  /** Static lists: the dataset's values added to what is stored (never removing one), each list guarded by its mod revision. */
  private async staticLists(d: Dataset): Promise<void> {
    const started = Date.now();
    let created = 0;
    for (const name of STATIC_LISTS) {
      for (let attempt = 1; ; attempt++) {
        const res = await this.etcd.kv
          .get(keys.staticList(name))
          .exec()
          .catch((e: unknown) => {
            throw toStoreError(e, 'reading a static list');
          });
        const kv = res.kvs[0];
        const stored = kv ? (JSON.parse(kv.value.toString()) as string[]) : [];
        const merged = [...stored, ...STATIC_OF[name](d).filter((v) => !stored.includes(v))];
        if (merged.length === stored.length && kv) break;
        if (this.opts.dryRun) {
          created++;
          break;
        }
        const w = await guardedWrite(
          this.etcd.kv,
          { key: keys.staticList(name), modRevision: kv ? Number(kv.mod_revision) : 0 },
          [{ type: 'put', key: keys.staticList(name), value: JSON.stringify(merged) }],
          'static list write',
        );
        if (w.succeeded) {
          created++;
          break;
        }
        if (attempt >= 10) throw new Error(`static list ${name} keeps changing; run populate again`);
      }
    }
    this.phases.push({
      phase: 'static lists',
      planned: STATIC_LISTS.length,
      existing: STATIC_LISTS.length - created,
      created,
      keys: created,
      ms: Date.now() - started,
    });
  }

  /** Writes units not yet in the store (by a keys-only scan of `scanPrefix`), with a progress bar. */
  private async bulk(
    phase: string,
    units: Unit[],
    scanPrefix: string,
    before?: () => Promise<void>,
    scanned?: Set<string>,
  ): Promise<Set<string>> {
    const started = Date.now();
    const existing = scanned ?? (await existingKeys(this.etcd, scanPrefix));
    const todo = units.filter((u) => !u.anchors.some((a) => existing.has(a)));
    if (this.opts.dryRun || todo.length === 0) {
      this.phases.push({
        phase,
        planned: units.length,
        existing: units.length - todo.length,
        // A dry run reports what it would create.
        created: this.opts.dryRun ? todo.length : 0,
        keys: this.opts.dryRun ? todo.reduce((n, u) => n + u.ops.length, 0) : 0,
        ms: Date.now() - started,
      });
      return new Set();
    }
    await before?.();
    const bar = this.progress.phase(phase, todo.length);
    const writer = new BulkWriter(this.etcd, { concurrency: this.opts.concurrency, onProgress: (u, k) => bar.add(u, k) });
    await writer.write(todo);
    bar.done();
    this.phases.push({
      phase,
      planned: units.length,
      existing: units.length - todo.length + writer.stats.existing,
      created: writer.stats.created,
      keys: writer.stats.keys,
      ms: Date.now() - started,
    });
    return writer.created;
  }

  private async users(d: Dataset): Promise<string | null> {
    const existing = await existingKeys(this.etcd, prefixes.users());
    const todo = d.users.filter((u) => !existing.has(keys.user(u.username)));
    if (todo.length === 0 || this.opts.dryRun) {
      this.phases.push({
        phase: 'users',
        planned: d.users.length,
        existing: d.users.length - todo.length,
        created: this.opts.dryRun ? todo.length : 0,
        keys: this.opts.dryRun ? todo.length : 0,
        ms: 0,
      });
      return null;
    }
    const hashing = Date.now();
    const pool = await passwordPool(Math.max(1, Math.min(this.opts.passwordPool, todo.length)));
    this.progress.note(
      `hashed ${pool.hashes.length} password(s) at full scrypt cost in ${Date.now() - hashing} ms (one per pool entry, not per account)`,
    );
    const units = todo.map((u, i) => userUnit(u, pool.hashes[i % pool.hashes.length]!, d.anchor));
    // Only the accounts this run created: a re-run neither rewrites nor forgets anyone's password.
    const created = await this.bulk('users', units, prefixes.users(), undefined, existing);
    const phase = this.phases[this.phases.length - 1]!;
    phase.planned = d.users.length;
    phase.existing = d.users.length - phase.created;
    const rows = todo
      .map((u, i) => ({ username: u.username, password: pool.passwords[i % pool.passwords.length]!, role: u.role }))
      .filter((r) => created.has(keys.user(r.username)));
    if (this.opts.credentialsFile && rows.length > 0) {
      writeCredentials(this.opts.credentialsFile, rows);
      return this.opts.credentialsFile;
    }
    return null;
  }

  private async events(d: Dataset): Promise<void> {
    const writes = d.events.map((e) => eventWrite(e, d.anchor));
    const before = writes.flatMap((w) => w.before);
    await this.bulk(
      'events',
      writes.map((w) => w.unit),
      prefixes.events(),
      before.length
        ? async () => {
            await writeInChunks(this.etcd.kv, before);
          }
        : undefined,
    );
  }

  /**
   * Subscriptions decided like notifier.putSubscription: against each event's remaining count
   * read at one revision, so a limit already reached fires at once (with its alert and the
   * alert.fired event in the notifier's outbox), and later stock changes are news to it.
   */
  private async subscriptions(d: Dataset): Promise<void> {
    const existing = await existingKeys(this.etcd, prefixes.notifications());
    const wanted = d.subscriptions.filter((s) => !existing.has(keys.notification(s.username, s.eventId)));
    const stock =
      wanted.length && !this.opts.dryRun ? await this.remainingByEvent() : { remaining: new Map<string, number>(), revision: 0 };
    const now = new Date();
    const units: Unit[] = [];
    for (const s of wanted) {
      const remaining = stock.remaining.get(s.eventId);
      if (remaining === undefined && !this.opts.dryRun) continue; // no such event (or deleted): the service would refuse it
      const { next, alert } = putSubscription(null, { ...s, active: true }, remaining ?? Infinity, stock.revision, now, ulid);
      const json = JSON.stringify(next);
      const ops: WriteOp[] = [
        { type: 'put', key: keys.notification(s.username, s.eventId), value: json },
        { type: 'put', key: keys.subscriber(s.eventId, s.username), value: json },
      ];
      const anchors = [keys.notification(s.username, s.eventId)];
      if (alert) {
        anchors.push(keys.alert(s.username, alert.alertId));
        ops.push({ type: 'put', key: keys.alert(s.username, alert.alertId), value: JSON.stringify(alert) });
        const fired: EventEnvelope = buildEnvelope(
          Events.notifier.alertFired,
          alert.alertId,
          {
            alertId: alert.alertId,
            username: s.username,
            eventId: s.eventId,
            remaining: alert.remaining,
            limit: alert.limit,
            at: alert.at,
          },
          { source: 'notifier', traceId: newTraceId() },
        );
        const w = outboxPut(this.etcd.kv, 'notifier', [fired]).op;
        ops.push(w);
      }
      units.push({ anchors, ops });
    }
    const noEvent = wanted.length - units.length;
    await this.bulk('subscriptions', units, prefixes.notifications(), undefined, existing);
    const phase = this.phases[this.phases.length - 1]!;
    phase.planned = d.subscriptions.length;
    phase.existing = d.subscriptions.length - noEvent - phase.created;
    if (noEvent > 0) this.progress.note(`subscriptions: ${noEvent} skipped: their event does not exist or was deleted`);
  }

  /** Remaining tickets per live event (sum over its types), all read at one revision. */
  private async remainingByEvent(): Promise<{ remaining: Map<string, number>; revision: number }> {
    const remaining = new Map<string, number>();
    const deleted = new Set<string>();
    let after: string | null = null;
    let revision = 0;
    do {
      const page = await listPrefix(this.etcd.kv, prefixes.tickets(), { limit: 5000, after, revision: revision || undefined });
      revision ||= page.revision;
      for (const kv of page.items) {
        const k = parseKey(kv.key);
        if (k.kind !== 'ticket') continue;
        const t = ticketRecord.parse(JSON.parse(kv.value));
        if (t.closed) deleted.add(k.eventId);
        remaining.set(k.eventId, (remaining.get(k.eventId) ?? 0) + t.remaining);
      }
      after = page.next;
    } while (after);
    for (const id of deleted) remaining.delete(id);
    return { remaining, revision };
  }

  /**
   * Each order through the inventory engine with a window of orders in flight (its sale writes
   * the order: key, issue 27). Orders whose sale exists are not sent again; an order whose key
   * sold another order (the same user and key used for something else) is skipped, as orders
   * would answer it CONFLICT.
   */
  private async purchases(d: Dataset) {
    const result = { sold: 0, refused: {} as Record<string, number>, existing: 0, conflicts: 0, soldOrders: [] as DatasetPurchase[] };
    const sales = await existingKeys(this.etcd, prefixes.sales());
    // Grouped by event, in dataset order within each: the engine then commits an event's orders
    // together (up to 100 per Txn) and still decides them first come, first served.
    const todo = d.purchases
      .map((p, i) => ({ p, i }))
      .filter(({ p }) => !sales.has(keys.sale(p.eventId, orderIdOf(p))))
      .sort((a, b) => (a.p.eventId < b.p.eventId ? -1 : a.p.eventId > b.p.eventId ? 1 : a.i - b.i))
      .map(({ p }) => p);
    result.existing = d.purchases.length - todo.length;
    const started = Date.now();
    if (this.opts.dryRun || todo.length === 0) {
      this.phases.push({
        phase: 'purchases',
        planned: d.purchases.length,
        existing: result.existing,
        created: this.opts.dryRun ? todo.length : 0,
        keys: this.opts.dryRun ? todo.length * 2 : 0,
        ms: 0,
      });
      return result;
    }
    const claims = await this.claimsOf(todo);
    let commits = 0;
    const engine = new PurchaseEngine(this.etcd, {
      batchMax: 100,
      maxConflicts: 50,
      stateTtlMs: 1000,
      deadlineMs: 60_000,
      attemptMs: 5000,
      onCommitted: () => commits++,
    });
    const bar = this.progress.phase('purchases', todo.length);
    let next = 0;
    const one = async (p: DatasetPurchase) => {
      const claim = claims.get(keys.order(p.username, orderIdOf(p)));
      if (claim && !sameOrder(claim, p)) {
        result.conflicts++;
        bar.add(1, 0);
        return;
      }
      let outcome: PurchaseOutcome | null = null;
      for (let attempt = 1; outcome === null; attempt++) {
        try {
          outcome = await engine.purchase({ orderId: orderIdOf(p), username: p.username, eventId: p.eventId, lines: p.lines });
        } catch (e) {
          // The key sold another event's order meanwhile (one key twice in the dataset).
          if (e instanceof AppError && e.error.code === 'CONFLICT') {
            result.conflicts++;
            bar.add(1, 0);
            return;
          }
          // UNAVAILABLE (store or contention): the same orderId never sells twice, so try again.
          if (attempt >= 8) throw e;
          await new Promise((r) => setTimeout(r, 100 * attempt));
        }
      }
      if (outcome.status === 'accepted' && !sameOrder(outcome, p)) {
        // The key sold other lines of this event (one key twice in the dataset): orders' CONFLICT.
        result.conflicts++;
        bar.add(1, 0);
      } else if (outcome.status === 'accepted') {
        result.sold++;
        result.soldOrders.push(p);
        bar.add(1, 1);
      } else {
        result.refused[outcome.reason] = (result.refused[outcome.reason] ?? 0) + 1;
        bar.add(1, 0);
      }
    };
    const worker = async () => {
      while (next < todo.length) await one(todo[next++]!);
    };
    await Promise.all(Array.from({ length: Math.min(this.opts.purchaseWindow, todo.length) }, worker));
    await engine.drain();
    bar.done();
    this.progress.note(
      `engine: ${commits} commits, ${engine.stats.batches} batches, ${engine.stats.reads} reads, ${engine.stats.conflicts} conflicts, ${engine.stats.resends} resends`,
    );
    // Keys this phase wrote, at least: a sale: and an order: per sold order, and per committed
    // batch one outbox entry and one ticket key (a batch touching more types writes more).
    this.phases.push({
      phase: 'purchases',
      planned: d.purchases.length,
      existing: result.existing,
      created: result.sold,
      keys: 2 * result.sold + 2 * commits,
      ms: Date.now() - started,
    });
    return result;
  }

  /** The stored order: keys of these orders (key -> record), in Txns of gets. */
  private async claimsOf(ps: DatasetPurchase[]) {
    const out = new Map<string, { eventId: string; lines: { type: string; quantity: number }[] }>();
    const ns = this.etcd.kv;
    const claimKeys = ps.map((p) => keys.order(p.username, orderIdOf(p)));
    for (let i = 0; i < claimKeys.length; i += 128) {
      const part = claimKeys.slice(i, i + 128);
      const res = await unconditionalTxn(ns)
        .then(...part.map((k) => ns.get(k)))
        .options(this.etcd.deadline(10_000))
        .commit()
        .catch((e: unknown) => {
          throw toStoreError(e, 'reading order claims');
        });
      res.responses.forEach((r, j) => {
        const kv = r.response_range?.kvs[0];
        if (kv) out.set(part[j]!, orderClaimRecord.parse(JSON.parse(kv.value.toString())));
      });
    }
    return out;
  }

  /**
   * With an inventory instance running, its relay turns the new sales into tickets.sold and the
   * orders service records each purchase and its stats: wait (bounded) until every sale sold here
   * has its purchase: record, so `ticketctl verify` right after finds a settled store.
   */
  private async waitForBackground(sold: DatasetPurchase[]) {
    const inventoryRunning = (await existingKeys(this.etcd, prefixes.svcOf('inventory'))).size > 0;
    if (!inventoryRunning || this.opts.waitMs <= 0 || sold.length === 0) return { waitedMs: 0, pending: sold.length, inventoryRunning };
    const started = Date.now();
    const purchaseKeys = sold.map((p) => keys.purchase(p.username, p.eventId, orderIdOf(p)));
    let pending = purchaseKeys;
    const bar = this.progress.phase('recording', pending.length);
    while (pending.length > 0 && Date.now() - started < this.opts.waitMs) {
      const still: string[] = [];
      for (let i = 0; i < pending.length; i += 128) {
        const part = pending.slice(i, i + 128);
        const res = await unconditionalTxn(this.etcd.kv)
          .then(...part.map((k) => this.etcd.kv.get(k)))
          .options(this.etcd.deadline(10_000))
          .commit()
          .catch((e: unknown) => {
            throw toStoreError(e, 'checking purchase records');
          });
        res.responses.forEach((r, j) => {
          if ((r.response_range?.kvs.length ?? 0) === 0) still.push(part[j]!);
        });
      }
      bar.add(pending.length - still.length, 0);
      pending = still;
      if (pending.length > 0) await new Promise((r) => setTimeout(r, 500));
    }
    bar.done();
    return { waitedMs: Date.now() - started, pending: pending.length, inventoryRunning };
  }
}
