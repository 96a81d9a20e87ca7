/**
 * A key's history: every put and delete etcd still keeps, oldest first. One watch on that key from
 * revision 1 replays its events (deletes included, which walking back through mod_revision - 1
 * cannot see across a delete); when that revision is compacted, etcd says from which revision it
 * still has them and the replay starts there. A raw watch stream (not etcd3's Watcher) because the
 * compact revision is only in the raw response.
 *
 * Where the replay ends: a key that exists now ends at its current mod revision (sound). A deleted
 * key ends at a delete, but nothing tells which one is the last, so the replay ends when etcd has
 * sent a batch up to the current revision (etcd 3.4 replays up to 1000 revisions per batch) or has
 * sent nothing for `quietMs`; a deadline bounds it all.
 */
import { localKey, type EtcdConnection } from '@ticketcd/etcd';
import { CliError } from '../output.js';
import type { HistoryItem } from './format.js';

export interface KeyHistory {
  key: string;
  /** The store revision the history was read up to. */
  revision: number;
  /** Oldest first; the newest `limit` when there were more. */
  items: HistoryItem[];
  /** Revisions before this one were compacted (the history starts there), else null. */
  compactedBefore: number | null;
  /** Events left out by --limit (the oldest ones). */
  omitted: number;
}

/** etcd 3.4 sends at most this many revisions per replay batch (mvcc watchBatchMaxRevs). */
const BATCH_MAX_REVS = 1000;

interface Replay {
  events: HistoryItem[];
  compactRevision?: number;
}

export async function keyHistory(
  conn: EtcdConnection,
  key: string,
  opts: { limit: number; timeoutMs: number; quietMs?: number },
): Promise<KeyHistory> {
  const deadline = Date.now() + opts.timeoutMs;
  const head = await conn.kv.get(key).exec();
  const revision = Number(head.header.revision);
  const current = head.kvs[0] ? Number(head.kvs[0].mod_revision) : null;
  let start = 1;
  let compactedBefore: number | null = null;
  for (let attempt = 0; attempt < 5; attempt++) {
    if (compactedBefore !== null && current !== null && current < start) {
      // Its last put is older than the compaction: that value is all etcd still has.
      const kv = head.kvs[0]!;
      const item: HistoryItem = { type: 'put', modRevision: current, version: Number(kv.version), value: kv.value.toString() };
      return { key, revision, items: [item], compactedBefore, omitted: 0 };
    }
    const r = await replay(conn, key, start, revision, current, deadline, opts.quietMs ?? 500);
    if (r.compactRevision !== undefined) {
      // Compacted meanwhile (or from the start): again from where etcd still has the history.
      start = r.compactRevision;
      compactedBefore = r.compactRevision;
      continue;
    }
    const omitted = opts.limit > 0 ? Math.max(0, r.events.length - opts.limit) : 0;
    return { key, revision, items: r.events.slice(omitted), compactedBefore, omitted };
  }
  throw new CliError(`the history of ${key} kept being compacted while it was read; try again`, 1);
}

function replay(
  conn: EtcdConnection,
  key: string,
  start: number,
  upTo: number,
  currentMod: number | null,
  deadline: number,
  quietMs: number,
): Promise<Replay> {
  return new Promise<Replay>((resolve, reject) => {
    const events: HistoryItem[] = [];
    let settled = false;
    let stream: Awaited<ReturnType<typeof conn.kv.watchClient.watch>> | null = null;
    let quiet: NodeJS.Timeout | undefined;
    const finish = (err: Error | null, value?: Replay) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      clearTimeout(quiet);
      try {
        stream?.cancel();
      } catch {
        // already closed
      }
      if (err) reject(err);
      else resolve(value!);
    };
    const timer = setTimeout(
      () => finish(new CliError(`the history of ${key} was not read within the deadline (${events.length} event(s) so far)`, 3)),
      Math.max(0, deadline - Date.now()),
    );
    const armQuiet = () => {
      clearTimeout(quiet);
      if (currentMod === null) quiet = setTimeout(() => finish(null, { events }), quietMs);
    };
    conn.kv.watchClient
      .watch()
      .then((s) => {
        stream = s;
        if (settled) return s.cancel();
        s.on('error', (e: Error) => finish(/CANCELLED|Cancelled/i.test(e.message) ? null : e, { events }));
        s.on('data', (res) => {
          if (res.canceled) {
            const compact = Number(res.compact_revision ?? 0);
            if (compact > 0) return finish(null, { events: [], compactRevision: compact });
            return finish(new CliError(`etcd canceled the watch on ${key}: ${res.cancel_reason || 'no reason given'}`, 3));
          }
          const revs = new Set<number>();
          for (const ev of res.events ?? []) {
            if (localKey(conn, ev.kv.key) !== key) continue;
            const modRevision = Number(ev.kv.mod_revision);
            revs.add(modRevision);
            if (modRevision > upTo) continue;
            const isPut = String(ev.type).toLowerCase() === 'put';
            events.push({
              type: isPut ? 'put' : 'delete',
              modRevision,
              version: isPut ? Number(ev.kv.version) : 0,
              value: isPut ? ev.kv.value.toString() : null,
            });
          }
          const last = events[events.length - 1]?.modRevision ?? 0;
          if (currentMod !== null) {
            if (last >= currentMod) finish(null, { events });
            return;
          }
          // A deleted key (or one that never was): a whole replay batch up to the current revision ends it.
          if (!res.created && Number(res.header.revision) >= upTo && revs.size < BATCH_MAX_REVS) return finish(null, { events });
          armQuiet();
        });
        s.write({ create_request: { key: Buffer.from(conn.namespace + key), start_revision: String(start) } });
        armQuiet();
        return undefined;
      })
      .catch((e: unknown) => finish(e as Error));
  });
}
