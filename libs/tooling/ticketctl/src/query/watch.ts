/**
 * `watch`: puts and deletes under a prefix as they happen, through etcd3's Watcher (it reconnects
 * by itself and resumes from the revision after the last one it saw). A resumed watch may still
 * have missed events (etcd3 can skip some on reconnect; a compaction meanwhile cancels it), so
 * each resume is reported with the revisions it may have skipped: a watch is a trigger, not a record.
 */
import { localKey, type EtcdConnection } from '@ticketcd/etcd';
import type { IKeyValue } from 'etcd3';
import { CliError } from '../output.js';
import type { WatchEvent } from './format.js';

export interface WatchOptions {
  prefix: string;
  fromRevision?: number;
  /** Stop after this many events (0: never). */
  count: number;
  /** Stop after this many ms (0: never). */
  timeoutMs: number;
  /** The watch must be live within this many ms. */
  startTimeoutMs: number;
  onEvent(e: WatchEvent): void;
  /** Once the watch is live (tests wait on it before writing). */
  onReady(revision: number): void;
  onResumed(fromRevision: number, toRevision: number): void;
}

/** Resolves with the number of events seen when --count or --timeout is reached or on SIGINT/SIGTERM. */
export async function watchPrefix(conn: EtcdConnection, o: WatchOptions): Promise<number> {
  let builder = conn.kv.watch().prefix(o.prefix);
  if (o.fromRevision) builder = builder.startRevision(String(o.fromRevision));
  // Every listener is on before the watch starts: etcd can cancel it (compacted) right after creating it.
  const watcher = builder.watcher();
  let seen = 0;
  let started = false;
  /** The first revision the watch had not seen yet when its stream broke. */
  let resumeFrom: number | null = null;
  /** Every change up to this revision has been printed (or predates what was asked for). */
  let seenUpTo = (o.fromRevision ?? 0) - 1;
  /** The revision the watch (re)started from, for telling a compaction. */
  let askedFrom = o.fromRevision ?? 0;
  return new Promise<number>((resolve, reject) => {
    let done = false;
    const stop = (err?: Error) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      clearTimeout(startTimer);
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      // Settled at once: a watcher etcd canceled itself never ends, so its cancel() never resolves.
      void watcher.cancel().catch(() => undefined);
      if (err) reject(err);
      else resolve(seen);
    };
    const onSignal = () => stop();
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    // etcd3 waits for a stream without end while no member answers: the start has a deadline.
    const startTimer = setTimeout(
      () => stop(new CliError(`etcd unavailable: the watch did not start within ${o.startTimeoutMs} ms`, 3)),
      o.startTimeoutMs,
    );
    let timer: NodeJS.Timeout | undefined;
    const emit = (type: 'put' | 'delete', kv: IKeyValue) => {
      if (done) return;
      const modRevision = Number(kv.mod_revision);
      seenUpTo = Math.max(seenUpTo, modRevision);
      o.onEvent({
        time: new Date().toISOString(),
        type,
        key: localKey(conn, kv.key),
        modRevision,
        value: type === 'put' ? kv.value.toString() : null,
      });
      seen++;
      if (o.count > 0 && seen >= o.count) stop();
    };
    watcher.on('put', (kv) => emit('put', kv));
    watcher.on('delete', (kv) => emit('delete', kv));
    // etcd3 resumes after the last response's header revision, even when a replay asked for with
    // --from-revision was not all sent yet: what may be missing starts after the last event printed.
    watcher.on('disconnected', () => {
      if (started) resumeFrom ??= seenUpTo + 1;
    });
    watcher.on('connected', (res: { header: { revision: string } }) => {
      if (!started) {
        started = true;
        if (seenUpTo < 0) seenUpTo = Number(res.header.revision);
        clearTimeout(startTimer);
        if (o.timeoutMs > 0) timer = setTimeout(() => stop(), o.timeoutMs);
        o.onReady(Number(res.header.revision));
        return;
      }
      if (resumeFrom === null) return;
      o.onResumed(resumeFrom, Number(res.header.revision));
      askedFrom = Number(res.header.revision);
      resumeFrom = null;
    });
    watcher.on('error', (e: Error) => {
      // etcd cancels a watch from a compacted revision with an empty reason (the compact revision
      // is in the response, which etcd3 drops): a read at the revision it asked for tells.
      const asked = askedFrom;
      void isCompacted(conn, asked).then((compacted) =>
        stop(
          compacted
            ? new CliError(
                `the watch was canceled: revisions it needed (from ${asked}) were compacted; start again with a newer --from-revision`,
                1,
              )
            : new CliError(`the watch failed: ${e.message}`, 3),
        ),
      );
    });
  });
}

async function isCompacted(conn: EtcdConnection, revision: number): Promise<boolean> {
  if (!(revision > 0)) return false;
  try {
    await conn.kv.get('\0').revision(revision).exec();
    return false;
  } catch (e) {
    return /compacted/i.test((e as Error).message);
  }
}
