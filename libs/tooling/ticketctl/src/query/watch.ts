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
  const watcher = builder.watcher();
  // etcd3's create() waits for the stream without end while no member answers: give it a deadline.
  await new Promise<void>((resolve, reject) => {
    const fail = (e: Error) => {
      clearTimeout(t);
      void watcher.cancel().catch(() => undefined);
      reject(e);
    };
    const t = setTimeout(
      () => fail(new CliError(`etcd unavailable: the watch did not start within ${o.startTimeoutMs} ms`, 3)),
      o.startTimeoutMs,
    );
    watcher.once('connected', () => {
      clearTimeout(t);
      resolve();
    });
    watcher.once('error', (e: Error) => fail(new CliError(`the watch failed to start: ${e.message}`, 3)));
  });
  let seen = 0;
  /** The first revision the watch had not seen yet when its stream broke. */
  let resumeFrom: number | null = null;
  return new Promise<number>((resolve, reject) => {
    let done = false;
    const stop = (err?: Error) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      void watcher
        .cancel()
        .catch(() => undefined)
        .then(() => (err ? reject(err) : resolve(seen)));
    };
    const onSignal = () => stop();
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    const timer = o.timeoutMs > 0 ? setTimeout(() => stop(), o.timeoutMs) : undefined;
    const emit = (type: 'put' | 'delete', kv: IKeyValue) => {
      if (done) return;
      const modRevision = Number(kv.mod_revision);
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
    // etcd3 keeps the next revision to ask for (the last response's header + 1) and resumes there.
    watcher.on('disconnected', () => {
      resumeFrom ??= Number(watcher.lastRevision() ?? 0);
    });
    watcher.on('connected', (res: { header: { revision: string } }) => {
      if (resumeFrom === null) return;
      o.onResumed(resumeFrom, Number(res.header.revision));
      resumeFrom = null;
    });
    watcher.on('error', (e: Error) => {
      const compacted = /compacted/i.test(e.message);
      stop(
        new CliError(
          compacted
            ? `the watch was canceled: revisions it needed were compacted (${e.message}); start again with a newer --from-revision`
            : `the watch failed: ${e.message}`,
          compacted ? 1 : 3,
        ),
      );
    });
    o.onReady(Number(watcher.lastRevision() ?? 0) - 1);
  });
}
