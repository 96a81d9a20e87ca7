/**
 * The pure parts of the live streams: SSE framing, the per-type revision filter of the stock
 * stream, the bounded de-duplication of the alert stream, and the Last-Event-ID replay scan.
 * No I/O here, so each rule is unit tested on its own (sse.spec.ts).
 */

/** One SSE message. `data` is sent as JSON on one line (JSON never needs a raw newline). */
export interface SseMessage {
  event: string;
  id?: string | number;
  data: unknown;
}

/** What an id may hold: the spec drops a field with a NUL, CR or LF; we refuse to send one. */
const BAD_ID = /[\0\r\n]/;

export function sseFrame(msg: SseMessage): string {
  let out = `event: ${msg.event}\n`;
  if (msg.id !== undefined) {
    const id = String(msg.id);
    if (BAD_ID.test(id)) throw new Error(`SSE id may not contain NUL, CR or LF: ${JSON.stringify(id)}`);
    out += `id: ${id}\n`;
  }
  return `${out}data: ${JSON.stringify(msg.data)}\n\n`;
}

/** The reconnection delay a browser's EventSource uses after a drop. */
export const sseRetry = (ms: number) => `retry: ${ms}\n\n`;

/** A comment line: ignored by clients, keeps proxies and load balancers from closing the stream. */
export const sseComment = (text: string) => `: ${text.replace(/[\r\n]+/g, ' ')}\n\n`;

/**
 * The stock stream's ordering rule: a snapshot at revision R covers every change up to R, so a
 * change is sent only if its revision is above both R and the last one sent for its type. This
 * drops changes the snapshot already shows, re-relayed duplicates and out-of-order stale ones.
 */
export class RevisionFilter {
  private readonly last = new Map<string, number>();

  constructor(private readonly snapshotRevision: number) {}

  accept(ticketType: string, revision: number): boolean {
    const floor = Math.max(this.snapshotRevision, this.last.get(ticketType) ?? 0);
    if (revision <= floor) return false;
    this.last.set(ticketType, revision);
    return true;
  }
}

/** Ids already sent on one stream, the oldest forgotten beyond `capacity` (bounded memory). */
export class SeenIds {
  private readonly ids = new Set<string>();

  constructor(private readonly capacity = 1000) {}

  /** true the first time `id` is offered (and remembers it), false after. */
  add(id: string): boolean {
    if (this.ids.has(id)) return false;
    this.ids.add(id);
    if (this.ids.size > this.capacity) this.ids.delete(this.ids.values().next().value!);
    return true;
  }

  has(id: string): boolean {
    return this.ids.has(id);
  }
}

export interface AlertPage<T> {
  items: T[];
  nextCursor: string | null;
}

export type ReplayScan<T> =
  /** The id was found: `items` are the alerts newer than it, oldest first (may be none). */
  | { found: true; items: T[] }
  /** Not within the bound (too many missed) or not one of the user's alerts at all. */
  | { found: false; scanned: number; reason: 'too-old' | 'unknown' };

/**
 * Pages through a newest-first list until it meets `lastId`, replaying at most `bound` newer
 * alerts (so reading at most bound + 1). What came before the id (newer alerts) is returned
 * oldest first, the order a client would have received them live.
 */
export async function scanForReplay<T extends { alertId: string }>(
  lastId: string,
  fetchPage: (cursor: string | undefined, limit: number) => Promise<AlertPage<T>>,
  bound = 200,
  pageSize = 100,
): Promise<ReplayScan<T>> {
  const newer: T[] = [];
  let cursor: string | undefined;
  for (;;) {
    const page = await fetchPage(cursor, Math.min(pageSize, bound + 1 - newer.length));
    for (const item of page.items) {
      if (item.alertId === lastId) return { found: true, items: newer.reverse() };
      if (newer.length >= bound) return { found: false, scanned: newer.length, reason: 'too-old' };
      newer.push(item);
    }
    if (!page.nextCursor || page.items.length === 0) return { found: false, scanned: newer.length, reason: 'unknown' };
    cursor = page.nextCursor;
  }
}
