/**
 * Transaction helpers. etcd takes at most 128 operations per Txn (`--max-txn-ops`).
 */
import { CompareResult, CompareTarget, ComparatorBuilder, Range, type Namespace } from 'etcd3';
import { toStoreError } from './errors.js';

export const MAX_TXN_OPS = 128;

export type WriteOp = { type: 'put'; key: string; value: string; lease?: string } | { type: 'delete'; key: string };

/** Splits a list into chunks of at most `size` (default: etcd's 128-ops-per-Txn limit). */
export function chunk<T>(items: readonly T[], size = MAX_TXN_OPS): T[][] {
  if (!Number.isInteger(size) || size < 1) throw new RangeError(`chunk size must be a positive integer, got ${size}`);
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** A Txn builder with no compare: always takes the success branch. */
export function unconditionalTxn(ns: Namespace): ComparatorBuilder {
  // etcd3 exposes Txns only through `if(...)`; its builder works with an empty compare list.
  return new ComparatorBuilder(ns.kv, (ns as unknown as { nsApplicator: ConstructorParameters<typeof ComparatorBuilder>[1] }).nsApplicator);
}

/**
 * Adds "no key under `prefix` was created after `revision`" to a Txn's compares. etcd compares a
 * whole range at once (Compare.range_end, etcd >= 3.3: every key of the range must satisfy it);
 * etcd3's builder only takes single keys, so the compare is added to its request directly. For
 * keys that are never deleted (ticket keys), it proves the Txn sees exactly the keys read: a
 * commit that sums over them (the event's remaining count) cannot miss one added meanwhile.
 */
export function andNoKeyCreatedAfter(txn: ComparatorBuilder, prefix: string, revision: number): ComparatorBuilder {
  const inner = txn as unknown as {
    namespace: { applyKey(b: Buffer): Buffer; applyRangeEnd(b: Buffer): Buffer };
    request: { compare: Promise<unknown>[] };
  };
  const range = Range.prefix(prefix);
  inner.request.compare.push(
    Promise.resolve({
      key: inner.namespace.applyKey(range.start),
      range_end: inner.namespace.applyRangeEnd(range.end),
      result: CompareResult.Less,
      target: CompareTarget.Create,
      create_revision: revision + 1,
    }),
  );
  return txn;
}

export function toBuilder(ns: Namespace, op: WriteOp) {
  if (op.type === 'delete') return ns.delete().key(op.key);
  const put = ns.put(op.key).value(op.value);
  return op.lease ? put.lease(op.lease) : put;
}

/**
 * Applies idempotent puts and deletes in Txns of at most `size` ops. Each chunk is atomic, the
 * whole list is not: use it for derived data that a re-run converges (index postings), never for
 * a decision. Because every op is idempotent, etcd3 retrying a chunk is harmless.
 */
export async function writeInChunks(ns: Namespace, ops: readonly WriteOp[], size = MAX_TXN_OPS): Promise<number> {
  let committed = 0;
  for (const part of chunk(ops, size)) {
    try {
      await unconditionalTxn(ns)
        .then(...part.map((op) => toBuilder(ns, op)))
        .commit();
    } catch (e) {
      throw toStoreError(e, 'chunked write');
    }
    committed += part.length;
  }
  return committed;
}

/** A Txn's condition on one key: unchanged since `modRevision`, or never created when it is 0. */
export interface KeyGuard {
  key: string;
  modRevision: number;
}

/**
 * Applies `ops` in one Txn if every guard holds. Safe under etcd3's retries: once committed, a
 * guard key's revision has moved (put it in `ops`) or the ops are idempotent.
 */
export async function guardedWrite(
  ns: Namespace,
  guard: KeyGuard | readonly KeyGuard[],
  ops: readonly WriteOp[],
  what: string,
): Promise<{ succeeded: boolean; revision: number }> {
  const guards = Array.isArray(guard) ? (guard as readonly KeyGuard[]) : [guard as KeyGuard];
  if (ops.length > MAX_TXN_OPS || guards.length > MAX_TXN_OPS)
    throw new RangeError(`${what}: ${ops.length} ops / ${guards.length} guards exceed etcd's ${MAX_TXN_OPS} per Txn`);
  if (guards.length === 0) throw new RangeError(`${what}: a guarded write needs a guard`);
  // Mod revision 0 means "must not exist": Create==0.
  const [first, ...rest] = guards.map((g): [string, 'Create' | 'Mod', number] => [
    g.key,
    g.modRevision === 0 ? 'Create' : 'Mod',
    g.modRevision,
  ]);
  const txn = ns.if(first![0], first![1], '==', first![2]);
  for (const [key, column, value] of rest) txn.and(key, column, '==', value);
  try {
    const res = await txn.then(...ops.map((op) => toBuilder(ns, op))).commit();
    return { succeeded: res.succeeded, revision: Number(res.header.revision) };
  } catch (e) {
    throw toStoreError(e, what);
  }
}

export interface CreateOnceResult {
  created: boolean;
  /** The value already stored when `created` is false. */
  existing: string | null;
  revision: number;
}

/**
 * Creates `key` only if it has never existed (CreateRevision == 0), in one Txn that also reads
 * it back. Replaying it (a retry after an ambiguous failure) cannot write twice: the second run
 * finds the key and reports `created: false` with the stored value.
 */
export async function createOnce(ns: Namespace, key: string, value: string, opts: { lease?: string } = {}): Promise<CreateOnceResult> {
  const put = ns.put(key).value(value);
  try {
    const res = await ns
      .if(key, 'Create', '==', 0)
      .then(opts.lease ? put.lease(opts.lease) : put)
      .else(ns.get(key))
      .commit();
    if (res.succeeded) return { created: true, existing: null, revision: Number(res.header.revision) };
    const kvs = res.responses[0]?.response_range?.kvs ?? [];
    return { created: false, existing: kvs[0]?.value.toString() ?? null, revision: Number(res.header.revision) };
  } catch (e) {
    throw toStoreError(e, `create-once of ${key}`);
  }
}

export interface CreateManyResult {
  created: boolean;
  /** Our value when created, else the value already stored. */
  value: string;
}

/**
 * `createOnce` for up to 128 keys in as few Txns as possible: one Txn creates them all if none
 * exists; if one does, its other branch reads them all back at that revision, the keys found are
 * settled (stored value) and the rest go round again. Each round settles at least one key, so it
 * ends; a replayed round finds its own values. The first entry of a repeated key wins.
 */
export async function createManyOnce(
  ns: Namespace,
  entries: readonly { key: string; value: string }[],
  opts: { deadline?: Date } = {},
): Promise<Map<string, CreateManyResult>> {
  const out = new Map<string, CreateManyResult>();
  const unique = new Map<string, string>();
  for (const e of entries) if (!unique.has(e.key)) unique.set(e.key, e.value);
  if (unique.size > MAX_TXN_OPS) throw new RangeError(`createManyOnce: ${unique.size} keys exceed etcd's ${MAX_TXN_OPS} per Txn`);
  let pending = [...unique].map(([key, value]) => ({ key, value }));
  while (pending.length > 0) {
    const [first, ...rest] = pending;
    const txn = ns.if(first!.key, 'Create', '==', 0);
    for (const p of rest) txn.and(p.key, 'Create', '==', 0);
    let res;
    try {
      res = await txn
        .then(...pending.map((p) => ns.put(p.key).value(p.value)))
        .else(...pending.map((p) => ns.get(p.key)))
        .options(opts.deadline ? { deadline: opts.deadline } : undefined)
        .commit();
    } catch (e) {
      throw toStoreError(e, `create-once of ${pending.length} keys`);
    }
    if (res.succeeded) {
      for (const p of pending) out.set(p.key, { created: true, value: p.value });
      break;
    }
    const next = pending.filter((p, i) => {
      const kv = res.responses[i]?.response_range?.kvs[0];
      if (kv) out.set(p.key, { created: false, value: kv.value.toString() });
      return !kv;
    });
    if (next.length === pending.length) throw new Error('createManyOnce: a Create==0 compare failed, yet none of the keys exists');
    pending = next;
  }
  return out;
}
