/**
 * Prefix listing in pages. A page is a bounded range read; `scanPrefix` walks every page at the
 * revision of the first one, so a scan is one consistent snapshot even while writes go on.
 */
import type { Namespace } from 'etcd3';
import { toStoreError } from './errors.js';

export interface KeyValue {
  key: string;
  value: string;
  createRevision: number;
  modRevision: number;
  version: number;
}

export interface Page {
  items: KeyValue[];
  /** The last key of this page when more follow; pass it as `after` for the next page. */
  next: string | null;
  /** The store revision the page was read at. */
  revision: number;
}

export interface PageOptions {
  limit?: number;
  after?: string | null;
  revision?: number;
}

/** The first key after every key that starts with `prefix`. */
export function prefixEnd(prefix: string): Buffer {
  const buf = Buffer.from(prefix);
  for (let i = buf.length - 1; i >= 0; i--) {
    if (buf[i]! < 0xff) {
      const end = Buffer.from(buf.subarray(0, i + 1));
      end[i] = buf[i]! + 1;
      return end;
    }
  }
  return Buffer.from([0]);
}

export async function listPrefix(ns: Namespace, prefix: string, opts: PageOptions = {}): Promise<Page> {
  const limit = opts.limit ?? 100;
  if (!Number.isInteger(limit) || limit < 1 || limit > 10_000) throw new RangeError(`page limit must be 1..10000, got ${limit}`);
  if (opts.after != null && !opts.after.startsWith(prefix)) {
    throw new RangeError(`cursor ${JSON.stringify(opts.after)} does not belong to prefix ${JSON.stringify(prefix)}`);
  }
  // An empty prefix means the whole keyspace: etcd wants a non-empty start key, "\0" is the first.
  const start =
    opts.after != null
      ? Buffer.concat([Buffer.from(opts.after), Buffer.from([0])])
      : prefix === ''
        ? Buffer.from([0])
        : Buffer.from(prefix);
  let builder = ns
    .getAll()
    .inRange({ start, end: prefixEnd(prefix) })
    .limit(limit)
    .sort('Key', 'Ascend');
  if (opts.revision) builder = builder.revision(opts.revision);
  try {
    const res = await builder.exec();
    const items = res.kvs.map((kv) => ({
      key: kv.key.toString(),
      value: kv.value.toString(),
      createRevision: Number(kv.create_revision),
      modRevision: Number(kv.mod_revision),
      version: Number(kv.version),
    }));
    return { items, next: res.more && items.length > 0 ? items[items.length - 1]!.key : null, revision: Number(res.header.revision) };
  } catch (e) {
    // A page over gRPC's 4 MiB message limit: the same page in halves (values vary in size).
    if (isTooLarge(e) && limit > 1) return listPrefix(ns, prefix, { ...opts, limit: Math.floor(limit / 2) });
    throw toStoreError(e, `listing ${prefix}`);
  }
}

const isTooLarge = (e: unknown): boolean => /RESOURCE_EXHAUSTED|larger than max/.test((e as Error)?.message ?? '');

/** Opaque cursor for an API page that ends at `key`. */
export const encodeKeyCursor = (key: string): string => Buffer.from(key).toString('base64url');

/** The key a cursor stands for, or null when it is not one of `prefix`'s (a forged or foreign cursor). */
export function decodeKeyCursor(cursor: string, prefix: string): string | null {
  const key = Buffer.from(cursor, 'base64url').toString();
  return key.startsWith(prefix) ? key : null;
}

/** Every key under `prefix`, page by page, all read at one revision (`atRevision`, or the first page's). */
export async function* scanPrefix(ns: Namespace, prefix: string, pageSize = 500, atRevision?: number): AsyncGenerator<KeyValue> {
  let after: string | null = null;
  let revision: number | undefined = atRevision;
  let size = pageSize;
  do {
    const page: Page = await listPrefix(ns, prefix, { limit: size, after, revision });
    revision ??= page.revision;
    // A short page with more to come was halved for size: keep the smaller size from here on.
    if (page.next && page.items.length < size) size = page.items.length;
    yield* page.items;
    after = page.next;
  } while (after);
}
