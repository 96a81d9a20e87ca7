/**
 * Runs the checks in passes. Each pass reads what its checks need at one revision; checks with
 * pending items (work a background consumer has yet to do) and no violation run again until
 * nothing is pending or --settle has passed. A pending item first seen in this run --settle ago
 * or more becomes a violation: the consumer did not catch up. Items first seen later than that stay PENDING (under live load something is
 * always in flight), which is not a violation.
 */
import { type EtcdConnection } from '@ticketcd/etcd';
import { keys } from '@ticketcd/keys';
import {
  checkAlerts,
  checkFavourites,
  checkOrphans,
  checkPurchases,
  checkSearch,
  checkStats,
  checkStock,
  judgeOrphanAlert,
  SOURCES_OF,
  type CheckName,
  type CheckResult,
  type HistoricSubscription,
  type PendingItem,
  type Violation,
} from './checks.js';
import { readSnapshot, type AlertState, type Snapshot, type Source } from './snapshot.js';

export type Status = 'OK' | 'FAIL' | 'PENDING';

export interface CheckReport {
  name: CheckName;
  examined: number;
  violations: Violation[];
  pending: PendingItem[];
  notes: string[];
  status: Status;
  /** Passes this check ran; more than one when it waited for a consumer. */
  passes: number;
  /** Pending in some pass (PENDING -> OK when it then cleared). */
  waited: boolean;
  revision: number;
}

export interface VerifyOptions {
  checks: CheckName[];
  settleMs: number;
  /** Between passes (the store is polled, not slept on blindly: each pass re-reads). */
  pollMs?: number;
  now?: () => number;
  onPass?: (pass: number, running: CheckName[]) => void;
}

export interface VerifyReport {
  checks: CheckReport[];
  ok: boolean;
}

const COMPACTED = /compacted/i;

const byKey = (a: { key: string }, b: { key: string }) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0);

async function snapshotOf(conn: EtcdConnection, sources: Set<Source>): Promise<Snapshot> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await readSnapshot(conn, sources);
    } catch (e) {
      // A long pass can outlive its revision's history (auto-compaction): read again, newer.
      if (!COMPACTED.test((e as Error).message) || attempt >= 3) throw e;
    }
  }
}

/** The subscription key of an alert's (user, event) as it was when the alert was created. */
async function historicSubscription(conn: EtcdConnection, a: AlertState): Promise<HistoricSubscription> {
  try {
    const res = await conn.kv.get(keys.notification(a.username, a.alert.eventId)).revision(a.createRevision).exec();
    const kv = res.kvs[0];
    return kv ? { value: kv.value.toString(), modRevision: Number(kv.mod_revision) } : null;
  } catch (e) {
    if (COMPACTED.test((e as Error).message)) return 'compacted';
    if (/invalid (event id|username)/.test((e as Error).message)) return null;
    throw e;
  }
}

async function alertsWithHistory(conn: EtcdConnection, snap: Snapshot): Promise<CheckResult> {
  const { result, unexplained } = checkAlerts(snap);
  let unverifiable = 0;
  let orphaned = 0;
  // A handful in flight: these are alerts of deleted subscriptions, normally few.
  for (let i = 0; i < unexplained.length; i += 16) {
    const part = unexplained.slice(i, i + 16);
    const hist = await Promise.all(part.map((a) => historicSubscription(conn, a)));
    part.forEach((a, j) => {
      const verdict = judgeOrphanAlert(a, hist[j]!);
      if (verdict === 'unverifiable') unverifiable++;
      else if (verdict) result.violations.push(verdict);
      else orphaned++;
    });
  }
  if (orphaned) result.notes.push(`${orphaned} alert(s) of deleted or re-created subscriptions (kept by design)`);
  if (unverifiable)
    result.notes.push(`${unverifiable} alert(s) of no current subscription could not be traced: their creation revision is compacted`);
  return result;
}

async function runCheck(conn: EtcdConnection, name: CheckName, snap: Snapshot): Promise<CheckResult> {
  switch (name) {
    case 'stock':
      return checkStock(snap);
    case 'stats':
      return checkStats(snap);
    case 'purchases':
      return checkPurchases(snap);
    case 'search':
      return checkSearch(snap);
    case 'alerts':
      return alertsWithHistory(conn, snap);
    case 'favourites':
      return checkFavourites(snap);
    case 'orphans':
      return checkOrphans(snap);
  }
}

/**
 * Splits a pass's pending items into those older than the settle window (violations now) and
 * the young ones. `firstSeen` remembers, per check and item id, the pass that first saw it.
 */
export function agePending(
  name: CheckName,
  pending: PendingItem[],
  firstSeen: Map<string, number>,
  /** When an item seen for the first time counts as seen (the run's start for the first pass). */
  seenAt: number,
  readAt: number,
  settleMs: number,
): { aged: Violation[]; young: PendingItem[] } {
  const aged: Violation[] = [];
  const young: PendingItem[] = [];
  for (const p of pending) {
    const id = `${name}\u0000${p.id}`;
    const first = firstSeen.get(id) ?? seenAt;
    firstSeen.set(id, first);
    // Only this run's sightings count, never the item's own age: after an outage a consumer's
    // backlog is old, and it still deserves the whole settle window to be worked off.
    if (readAt - first >= settleMs)
      aged.push({ key: p.key, message: `${p.message}; still pending after ${((readAt - first) / 1000).toFixed(1)} s` });
    else young.push(p);
  }
  return { aged, young };
}

export async function runVerify(conn: EtcdConnection, opts: VerifyOptions): Promise<VerifyReport> {
  const now = opts.now ?? Date.now;
  const pollMs = opts.pollMs ?? 500;
  const start = now();
  const firstSeen = new Map<string, number>();
  const reports = new Map<CheckName, CheckReport>();
  let running = [...opts.checks];
  for (let pass = 1; running.length > 0; pass++) {
    opts.onPass?.(pass, running);
    const snap = await snapshotOf(conn, new Set(running.flatMap((c) => SOURCES_OF[c])));
    for (const name of running) {
      const r = await runCheck(conn, name, snap);
      const { aged, young } = agePending(name, r.pending, firstSeen, pass === 1 ? start : snap.readAt, snap.readAt, opts.settleMs);
      // Ranges are read in parallel: sort, so the same store always gives the same report.
      const violations = [...r.violations, ...aged].sort(byKey);
      young.sort(byKey);
      reports.set(name, {
        name,
        examined: r.examined,
        violations,
        pending: young,
        notes: r.notes,
        status: violations.length ? 'FAIL' : young.length ? 'PENDING' : 'OK',
        passes: pass,
        waited: (reports.get(name)?.waited ?? false) || r.pending.length > 0,
        revision: snap.revision,
      });
    }
    // Only what may still turn OK runs again, and only while the settle window lasts.
    running = running.filter((n) => reports.get(n)!.status === 'PENDING');
    const left = start + opts.settleMs - now();
    if (running.length === 0 || left <= 0) break;
    await new Promise((r) => setTimeout(r, Math.min(pollMs, left)));
  }
  const checks = opts.checks.map((n) => reports.get(n)!);
  return { checks, ok: checks.every((c) => c.violations.length === 0) };
}
