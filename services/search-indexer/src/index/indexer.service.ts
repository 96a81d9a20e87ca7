/**
 * Keeps the index in step with the catalog (every write guarded by the event's meta key, so
 * redelivered, reordered and concurrent changes never regress it), and compares or
 * repairs it against a rebuild from `event:` keys.
 */
import { Inject, Injectable } from '@nestjs/common';
import type { EventRecord, Rpc, RpcResult } from '@ticketcd/contracts';
import { chunk, CONFLICT, ContendedError, retryOnConflict, type Conflict, type WriteOp } from '@ticketcd/etcd';
import { keys, parseKey } from '@ticketcd/keys';
import { PinoLogger } from 'nestjs-pino';
import { SEARCH_CONFIG, type SearchConfig } from '../search.config.js';
import { IndexRepository } from './index.repository.js';
import {
  changeOf,
  encodeMeta,
  forRepair,
  indexEntries,
  plan,
  type IndexChange,
  type IndexMeta,
  type Plan,
  type Postings,
} from '@ticketcd/search-text';

const MAX_ATTEMPTS = 50;
const MAX_LISTED = 1000;
/** A reply must fit NATS's 1 MiB payload: the listed differences stop at this many bytes. */
const MAX_LISTED_BYTES = 512 * 1024;

type Report = RpcResult<typeof Rpc.search.verify>;
type Difference = Report['differences'][number];

const metaPut = (eventId: string, meta: IndexMeta): WriteOp => ({ type: 'put', key: keys.searchMeta(eventId), value: encodeMeta(meta) });

/** The change that brings the index to an event: record as stored. */
/** Every key the index should hold for these events. */
export function expectedIndex(events: Map<string, EventRecord>): Map<string, string> {
  const out = new Map<string, string>();
  for (const [eventId, record] of events) for (const [k, v] of indexEntries(changeOf(eventId, record))) out.set(k, v);
  return out;
}

/** The first differences, as many as fit a reply; `differing` still counts them all. */
export function listed(diffs: Difference[]): Difference[] {
  let bytes = 0;
  const out: Difference[] = [];
  for (const d of diffs.slice(0, MAX_LISTED)) {
    bytes += d.key.length + (d.live?.length ?? 0) + (d.expected?.length ?? 0) + 40;
    if (bytes > MAX_LISTED_BYTES) break;
    out.push(d);
  }
  return out;
}

export function differences(live: Map<string, { value: string }>, expected: Map<string, string>): Difference[] {
  const out: Difference[] = [];
  for (const [key, want] of expected) {
    const have = live.get(key)?.value ?? null;
    if (have !== want) out.push({ key, live: have, expected: want });
  }
  for (const [key, { value }] of live) if (!expected.has(key)) out.push({ key, live: value, expected: null });
  return out.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

/** The event a search: key belongs to, or null for a key that is not the schema's. */
function eventOf(key: string): string | null {
  try {
    const k = parseKey(key);
    return k.kind === 'search' || k.kind === 'searchMeta' ? k.eventId : null;
  } catch {
    return null;
  }
}

@Injectable()
export class IndexerService {
  constructor(
    private readonly repo: IndexRepository,
    @Inject(SEARCH_CONFIG) private readonly config: SearchConfig,
    private readonly log: PinoLogger,
  ) {
    log.setContext('indexer');
  }

  async apply(change: IndexChange): Promise<'indexed' | 'already indexed' | 'older than indexed'> {
    const outcome = await this.fenced(change.eventId, async () => {
      const stored = await this.repo.readMeta(change.eventId);
      return { guard: stored?.modRevision ?? 0, plan: plan(stored?.meta ?? null, change) };
    });
    // Transient for the consumer: the meta settles and the redelivery indexes it.
    if (outcome === 'contended')
      throw new ContendedError(
        `indexing event ${change.eventId} v${change.version}: its index meta kept changing (${MAX_ATTEMPTS} attempts)`,
      );
    return outcome;
  }

  /**
   * Brings one event's index to its record as stored now, through the same fenced plan as
   * `apply`, planned from the meta made uncertain (`forRepair`): every posting is put and every
   * key the meta or `found` knows of is deleted unless wanted. A consumer change racing it is
   * fenced off by the meta guard (and by the pending meta when phased) and re-plans from there;
   * one that takes over a committed pending meta finishes the repair with its own change.
   */
  async repair(eventId: string, found: Postings): Promise<'indexed' | 'older than indexed' | 'no event' | 'contended'> {
    let missing = false;
    const outcome = await this.fenced(
      eventId,
      async () => {
        const { record, meta } = await this.repo.readForRepair(eventId);
        if (!record) {
          missing = true;
          return null;
        }
        return { guard: meta?.modRevision ?? 0, plan: plan(forRepair(meta?.meta ?? null, found), changeOf(eventId, record)) };
      },
      true,
    );
    if (missing) return 'no event';
    return outcome === 'already indexed' ? 'indexed' : outcome;
  }

  /**
   * Runs plans until one is written whole under its guard (the meta's mod revision). With
   * `handOver`, a phased plan whose pending meta committed is done even if a writer takes over
   * before it settles: that writer planned from the pending meta (which lists every key the plan
   * knew of, and marks the values uncertain), so finishing is its job now, not a race to win.
   */
  private async fenced(
    eventId: string,
    next: () => Promise<{ guard: number; plan: Plan } | null>,
    handOver = false,
  ): Promise<'indexed' | 'already indexed' | 'older than indexed' | 'contended'> {
    type Outcome = 'indexed' | 'already indexed' | 'older than indexed';
    try {
      return await retryOnConflict({ attempts: MAX_ATTEMPTS, what: `index meta of ${eventId}` }, async (): Promise<Outcome | Conflict> => {
        const planned = await next();
        if (!planned) return 'indexed';
        const { guard, plan: p } = planned;
        if (p.kind === 'skip') return p.reason;
        if (p.kind === 'single') {
          // A lost guard means another writer moved the meta: re-read and re-plan.
          return (await this.repo.write(eventId, guard, [...p.ops, metaPut(eventId, p.meta)])).succeeded ? 'indexed' : CONFLICT;
        }
        // Phased: announce the change (fencing off any older writer), write the chunks under the
        // pending meta's revision, then settle. A crash leaves the pending meta for the redelivery.
        const begun = await this.repo.write(eventId, guard, [metaPut(eventId, p.pending)]);
        if (!begun.succeeded) return CONFLICT;
        let intact = true;
        for (const ops of p.chunks) {
          if (!(await this.repo.write(eventId, begun.revision, ops)).succeeded) {
            intact = false;
            break;
          }
        }
        if (intact && (await this.repo.write(eventId, begun.revision, [metaPut(eventId, p.meta)])).succeeded) return 'indexed';
        return handOver ? 'indexed' : CONFLICT;
      });
    } catch (e) {
      if (e instanceof ContendedError) return 'contended';
      throw e;
    }
  }

  async verify(): Promise<Report> {
    return (await this.compare()).report;
  }

  /** The live index against one computed from the events, both read at one revision. */
  private async compare() {
    const snap = await this.repo.snapshot();
    const diffs = differences(snap.live, expectedIndex(snap.events));
    const report: Report = {
      revision: snap.revision,
      events: snap.events.size,
      keys: snap.live.size,
      differing: diffs.length,
      differences: listed(diffs),
    };
    return { snap, diffs, report };
  }

  /**
   * Repairs every event whose keys differ from a rebuild, each through `repair` (the consumer's
   * fenced plan, from the event as stored at repair time), so a rebuild racing live edits never
   * leaves a stale posting: whichever writer commits last wrote a complete, listed version.
   * Keys of an event with no event: record at all are deleted under its meta's guard.
   */
  async rebuild(dryRun: boolean): Promise<RpcResult<typeof Rpc.search.rebuild>> {
    const { snap, diffs, report } = await this.compare();
    if (dryRun || diffs.length === 0) return { ...report, repairedEvents: 0, skippedEvents: [] };
    const byEvent = new Map<string, Difference[]>();
    const strays: string[] = [];
    for (const d of diffs) {
      const eventId = eventOf(d.key);
      if (eventId === null) strays.push(d.key);
      else byEvent.set(eventId, [...(byEvent.get(eventId) ?? []), d]);
    }
    if (strays.length) await this.repo.deleteUnguarded(strays);
    // What each differing event has in place, listed in its meta or not.
    const found = new Map<string, Postings>([...byEvent.keys()].map((id) => [id, {}]));
    for (const [key, { value }] of snap.live) {
      const eventId = eventOf(key);
      const mine = eventId === null ? undefined : found.get(eventId);
      if (mine && key !== keys.searchMeta(eventId!)) mine[key] = value;
    }
    const skipped: string[] = [];
    let repaired = 0;
    const queue = [...byEvent];
    const worker = async () => {
      for (let next = queue.shift(); next; next = queue.shift()) {
        const [eventId, ds] = next;
        let ok = false;
        try {
          const outcome = snap.events.has(eventId) ? await this.repair(eventId, found.get(eventId)!) : 'no event';
          ok =
            outcome === 'no event'
              ? await this.deleteOrphan(eventId, snap.live.get(keys.searchMeta(eventId))?.modRevision ?? 0, ds)
              : outcome === 'indexed';
        } catch (e) {
          // One event's store error (a deadline under load) must not cost the other repairs.
          this.log.warn({ eventId, err: (e as Error).message }, 'repair failed; reported as skipped');
        }
        if (ok) repaired++;
        else skipped.push(eventId);
      }
    };
    await Promise.all(Array.from({ length: this.config.SEARCH_REBUILD_CONCURRENCY }, worker));
    this.log.info({ differing: diffs.length, repaired, skipped: skipped.length }, 'index rebuilt');
    return { ...report, repairedEvents: repaired, skippedEvents: skipped };
  }

  /** The keys of an event that has no record: deleted under its meta's guard, the meta last. */
  private async deleteOrphan(eventId: string, guard: number, ds: Difference[]): Promise<boolean> {
    const metaKey = keys.searchMeta(eventId);
    const ops: WriteOp[] = ds
      .sort((a, b) => Number(a.key === metaKey) - Number(b.key === metaKey))
      .map((d) => (d.expected === null ? { type: 'delete', key: d.key } : { type: 'put', key: d.key, value: d.expected }));
    for (const part of chunk(ops)) if (!(await this.repo.write(eventId, guard, part)).succeeded) return false;
    return true;
  }
}
