/**
 * What the index holds for one event, and how to move it from one version to the next. Pure:
 * the repository executes the plans, the rebuild and the consumer both use `indexEntries`, so
 * a rebuilt index and an incrementally kept one are byte for byte the same.
 *
 * Per event: one posting per term (`search:text:<word>:<id>` = {"n":1} when the word is in the
 * name, {"n":0} when only in the description, location or type), one per type and location
 * (= "1"), and a meta key `search:meta:<id>` naming the version indexed, its fields (the hit's
 * summary) and its postings.
 * The meta key is the guard of every write for the event: each Txn compares its mod revision.
 */
import type { EventFields, EventRecord } from '@ticketcd/contracts';
import { chunk, MAX_TXN_OPS, type WriteOp } from '@ticketcd/etcd';
import { keys } from '@ticketcd/keys';
import { terms } from './tokenizer.js';

/** posting key -> value */
export type Postings = Record<string, string>;

export interface IndexMeta {
  /** The version whose postings are in place (0: none yet). */
  v: number;
  deleted: boolean;
  /** The indexed version's fields: what a hit shows. Null when deleted. */
  fields: EventFields | null;
  /** Exactly the postings in place; while `pending`, every posting that MAY be in place. */
  postings: Postings;
  /** A multi-Txn change in progress (or cut off by a crash) towards this version. */
  pending: { v: number } | null;
}

/** A catalog change to index: the event's fields at `version`, or null once deleted. */
export interface IndexChange {
  eventId: string;
  version: number;
  fields: EventFields | null;
}

const FIELD_ORDER = ['name', 'description', 'location', 'type', 'date', 'maxPerOrder'] as const;

/** The fields in one fixed key order, so equal metas are equal strings. */
export const canonicalFields = (f: EventFields): EventFields => Object.fromEntries(FIELD_ORDER.map((k) => [k, f[k]])) as EventFields;

export const IN_NAME = '{"n":1}';
export const IN_DESCRIPTION = '{"n":0}';
export const MEMBER = '1';

/** Every posting of an event's fields, keys sorted. Words that cannot be a key segment are skipped. */
export function postingsOf(eventId: string, fields: EventFields): Postings {
  const out: Postings = {};
  const add = (build: () => string, value: string) => {
    try {
      const key = build();
      if (!(key in out)) out[key] = value;
    } catch {
      // A word the key schema refuses (none the tokenizer makes today); not indexable.
    }
  };
  for (const t of terms(fields.name)) add(() => keys.search('text', t, eventId), IN_NAME);
  // Where and what are words too: "rock lon" finds a rock event in London by its location.
  for (const t of terms(`${fields.description} ${fields.location} ${fields.type}`))
    add(() => keys.search('text', t, eventId), IN_DESCRIPTION);
  add(() => keys.search('type', fields.type, eventId), MEMBER);
  add(() => keys.search('location', fields.location, eventId), MEMBER);
  return sortedPostings(out);
}

const sortedPostings = (p: Postings): Postings => Object.fromEntries(Object.entries(p).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));

export function settledMeta(change: IndexChange): IndexMeta {
  return change.fields
    ? {
        v: change.version,
        deleted: false,
        fields: canonicalFields(change.fields),
        postings: postingsOf(change.eventId, change.fields),
        pending: null,
      }
    : { v: change.version, deleted: true, fields: null, postings: {}, pending: null };
}

export const encodeMeta = (m: IndexMeta): string =>
  JSON.stringify({ v: m.v, deleted: m.deleted, fields: m.fields, postings: m.postings, pending: m.pending });

export function decodeMeta(value: string): IndexMeta {
  const m = JSON.parse(value) as Partial<IndexMeta>;
  if (typeof m.v !== 'number' || typeof m.postings !== 'object' || m.postings === null) throw new Error('not an index meta value');
  return { v: m.v, deleted: m.deleted === true, fields: m.fields ?? null, postings: m.postings, pending: m.pending ?? null };
}

/** The change that brings the index to an event as stored (a deleted event: no postings). */
export function changeOf(eventId: string, record: EventRecord): IndexChange {
  return { eventId, version: record.version, fields: record.deletedAt === null ? canonicalFields(record as EventFields) : null };
}

/** Every key the index should hold for an event at this change: its postings and its meta. */
export function indexEntries(change: IndexChange): Map<string, string> {
  const meta = settledMeta(change);
  return new Map([...Object.entries(meta.postings), [keys.searchMeta(change.eventId), encodeMeta(meta)]]);
}

/**
 * The meta a repair plans from: the stored one (or none) made uncertain, as if a change were
 * pending, and listing also the postings `found` in place that it does not list (strays). The
 * plan then puts every posting of the new version and deletes everything else it knows of, with
 * the same fencing (pending meta first when phased) as any consumer change.
 */
export function forRepair(current: IndexMeta | null, found: Postings): IndexMeta {
  return {
    v: current?.v ?? 0,
    deleted: current?.deleted ?? false,
    fields: current?.fields ?? null,
    postings: sortedPostings({ ...found, ...current?.postings }),
    pending: current?.pending ?? { v: current?.v ?? 0 },
  };
}

export type Plan =
  | { kind: 'skip'; reason: 'already indexed' | 'older than indexed' }
  /** One Txn: the ops and the settled meta. */
  | { kind: 'single'; ops: WriteOp[]; meta: IndexMeta }
  /** Too many ops for one Txn: the pending meta first, then chunks, then the settled meta. */
  | { kind: 'phased'; pending: IndexMeta; chunks: WriteOp[][]; meta: IndexMeta };

/**
 * How to bring the index from `current` to `change`. Never regresses: a version older than
 * the one indexed (or being indexed) is skipped, and the same version is skipped once settled;
 * the same version while pending is taken over (its writer crashed or is being fenced off).
 */
export function plan(current: IndexMeta | null, change: IndexChange, maxOps = MAX_TXN_OPS): Plan {
  if (current) {
    const newest = Math.max(current.v, current.pending?.v ?? 0);
    if (change.version < newest) return { kind: 'skip', reason: 'older than indexed' };
    if (change.version === current.v && !current.pending) return { kind: 'skip', reason: 'already indexed' };
  }
  const meta = settledMeta(change);
  const before = current?.postings ?? {};
  // While pending, the values in place are uncertain: put every posting, not just the changed.
  const uncertain = current?.pending != null;
  const ops: WriteOp[] = [];
  for (const [key, value] of Object.entries(meta.postings)) if (uncertain || before[key] !== value) ops.push({ type: 'put', key, value });
  for (const key of Object.keys(before)) if (!(key in meta.postings)) ops.push({ type: 'delete', key });
  // One op of the Txn is the meta put.
  if (ops.length + 1 <= maxOps) return { kind: 'single', ops, meta };
  const pending: IndexMeta = {
    v: current?.v ?? 0,
    deleted: current?.deleted ?? false,
    fields: current?.fields ?? null,
    postings: sortedPostings({ ...before, ...meta.postings }),
    pending: { v: change.version },
  };
  return { kind: 'phased', pending, chunks: chunk(ops, maxOps), meta };
}
