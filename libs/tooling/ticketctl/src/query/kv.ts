/**
 * Reads of `get` and `ls`: one key, a prefix in bounded pages (never one unbounded range), and the
 * namespaces overview from count-only ranges. Keys are those of the connection's namespace.
 */
import { localKey, prefixEnd, toStoreError, type EtcdConnection, type KeyValue } from '@ticketcd/etcd';
import { NAMESPACES } from '@ticketcd/keys';
import { leaseOf } from './format.js';

export interface KeyValueLease extends KeyValue {
  lease: string | null;
}

export async function getKey(conn: EtcdConnection, key: string): Promise<KeyValueLease | null> {
  const res = await conn.kv.get(key).exec();
  const kv = res.kvs[0];
  if (!kv) return null;
  return {
    // A single-key read answers with the namespaced key: shown as the user named it.
    key: localKey(conn, kv.key),
    value: kv.value.toString(),
    createRevision: Number(kv.create_revision),
    modRevision: Number(kv.mod_revision),
    version: Number(kv.version),
    lease: leaseOf(kv.lease),
  };
}

/** How many keys are in [start, end of prefix) at `revision` (count-only: no values travel). */
async function countRange(conn: EtcdConnection, prefix: string, start: Buffer, revision?: number): Promise<number> {
  let b = conn.kv.getAll().inRange({ start, end: prefixEnd(prefix) });
  if (revision) b = b.revision(revision);
  return Number(await b.count());
}

export async function countPrefix(conn: EtcdConnection, prefix: string, revision?: number): Promise<number> {
  return countRange(conn, prefix, prefix === '' ? Buffer.from([0]) : Buffer.from(prefix), revision);
}

export interface Listing {
  items: KeyValueLease[];
  /** Keys under the prefix after the last one shown (0 when all were shown). */
  more: number;
  revision: number;
}

/**
 * One bounded page after `after` (like listPrefix of @ticketcd/etcd, which leaves out the lease
 * that `ls --json` shows); a page over gRPC's message limit is read again in halves.
 */
async function page(conn: EtcdConnection, prefix: string, limit: number, after: string | null, revision?: number) {
  const start = after !== null ? Buffer.concat([Buffer.from(after), Buffer.from([0])]) : Buffer.from(prefix === '' ? '\0' : prefix);
  let b = conn.kv
    .getAll()
    .inRange({ start, end: prefixEnd(prefix) })
    .limit(limit)
    .sort('Key', 'Ascend');
  if (revision) b = b.revision(revision);
  try {
    const res = await b.exec();
    const items: KeyValueLease[] = res.kvs.map((kv) => ({
      key: kv.key.toString(),
      value: kv.value.toString(),
      createRevision: Number(kv.create_revision),
      modRevision: Number(kv.mod_revision),
      version: Number(kv.version),
      lease: leaseOf(kv.lease),
    }));
    return { items, next: res.more && items.length > 0 ? items[items.length - 1]!.key : null, revision: Number(res.header.revision) };
  } catch (e) {
    if (/RESOURCE_EXHAUSTED|larger than max/.test((e as Error)?.message ?? '') && limit > 1)
      return page(conn, prefix, Math.floor(limit / 2), after, revision);
    throw toStoreError(e, `listing ${prefix}`);
  }
}

/** Up to `limit` keys (0: all) under `prefix` in key order, page by page at one revision. */
export async function listKeys(conn: EtcdConnection, prefix: string, limit: number, pageSize = 500): Promise<Listing> {
  const items: KeyValueLease[] = [];
  let after: string | null = null;
  let revision: number | undefined;
  for (;;) {
    const want = limit === 0 ? pageSize : Math.min(pageSize, limit - items.length);
    const p = await page(conn, prefix, want, after, revision);
    revision ??= p.revision;
    items.push(...p.items);
    after = p.next;
    if (!after) return { items, more: 0, revision };
    if (limit !== 0 && items.length >= limit) break;
  }
  const more = await countRange(conn, prefix, Buffer.concat([Buffer.from(after), Buffer.from([0])]), revision);
  return { items, more, revision };
}

export interface NamespaceCount {
  namespace: string;
  keys: number;
}

/** Every top-level namespace of the schema with its key count, plus keys outside them ("(other)"). */
export async function namespaceOverview(conn: EtcdConnection): Promise<{ namespaces: NamespaceCount[]; total: number; revision: number }> {
  // One revision for every count, so they add up.
  const head = await conn.kv.get('\0').exec();
  const revision = Number(head.header.revision);
  const names = [...new Set(Object.values(NAMESPACES))].sort();
  const [total, ...counts] = await Promise.all([countPrefix(conn, '', revision), ...names.map((n) => countPrefix(conn, n, revision))]);
  const namespaces = names.map((namespace, i) => ({ namespace, keys: counts[i]! }));
  const known = counts.reduce((a, b) => a + b, 0);
  if (total! > known) namespaces.push({ namespace: '(other)', keys: total! - known });
  return { namespaces, total: total!, revision };
}
