/**
 * The admin key history (issue 26.3): a key's past values, walked back through etcd's MVCC
 * store. Every service answers it for its own keys (`<service>.keys.history`, asked only by the
 * gateway's admin route), so the internet-facing gateway's etcd user reads no other service's
 * namespace; the gateway walks its own keys (svc:gateway:, its outbox) with this same code.
 */
import { Inject, Injectable } from '@nestjs/common';
import { AppError, type HistoryEntry, type HistoryReply, type keyHistoryRequest } from '@ticketcd/contracts';
import type { EtcdConnection } from '@ticketcd/etcd';
import { KeyParseError, parseKey, serviceRole, type KeyKind, type ServiceName } from '@ticketcd/keys';
import { currentDeadline } from '@ticketcd/observability';
import type { z } from 'zod';
import { ETCD, SERVICE_IDENTITY, type ServiceIdentity } from './tokens.js';

/**
 * Keys whose history is never served, even to admins: user: values hold password hashes and
 * session: keys name live sessions. Refused with 403 (the request is well formed; the data is off limits).
 */
export const SECRET_KINDS: readonly KeyKind[] = ['user', 'session'];

/** Value fields that say when a value was written, most specific first. */
const TIME_FIELDS = ['updatedAt', 'at', 'createdAt', 'startedAt'] as const;

/** Left of the caller's budget for the reply to travel back: an etcd deadline answers 503 before the caller's 504. */
const REPLY_MARGIN_MS = 250;

export interface KeyRevision {
  modRevision: number;
  createRevision: number;
  version: number;
  value: string;
}

export type KeyAt =
  | { state: 'present'; headerRevision: number; kv: KeyRevision }
  | { state: 'absent'; headerRevision: number }
  /** The revision asked for was compacted away. */
  | { state: 'compacted' }
  /** The revision asked for is newer than the store's. */
  | { state: 'future' };

/** Reads one key at a revision (the present when omitted). */
export type KeyReader = (key: string, revision?: number) => Promise<KeyAt>;

const COMPACTED = /required revision has been compacted/;
const FUTURE = /required revision is a future revision/;

export type KeyHistoryRequest = z.input<typeof keyHistoryRequest>;
const DEFAULT_LIMIT = 20;

/** The key's kind; 400 if it does not parse, 403 for the secret kinds. */
export function historyKind(key: string): KeyKind {
  let kind: KeyKind;
  try {
    kind = parseKey(key).kind;
  } catch (e) {
    if (e instanceof KeyParseError) throw AppError.badRequest(e.message, [{ path: 'key', message: e.message }]);
    throw e;
  }
  if (SECRET_KINDS.includes(kind)) {
    throw new AppError({
      code: 'FORBIDDEN',
      message: `the history of ${kind}: keys is not served: they hold password hashes and session tokens`,
    });
  }
  return kind;
}

/**
 * A key's past values, newest first: read the key at a revision, then at its mod revision - 1,
 * and so on, until it did not exist (before its creation) or the revision was compacted.
 * etcd keeps no link from a deleted key to its past, so a key absent now is 404 unless
 * `revision` names a revision when it existed.
 */
export async function walkKeyHistory(read: KeyReader, req: KeyHistoryRequest): Promise<HistoryReply> {
  const { key, limit = DEFAULT_LIMIT, revision } = req;
  const kind = historyKind(key);
  const first = await read(key, revision);
  if (first.state === 'future')
    throw AppError.badRequest(`revision ${revision} is newer than the store's`, [{ path: 'revision', message: 'is a future revision' }]);
  if (first.state === 'compacted') return { key, kind, readAt: revision!, items: [], compacted: true, nextRevision: null };
  if (first.state === 'absent') {
    throw AppError.notFound(
      revision === undefined
        ? `key ${key} does not exist (it never did, or it was deleted: pass revision= of a revision when it existed to see its past)`
        : `key ${key} did not exist at revision ${revision}`,
    );
  }
  const items: HistoryEntry[] = [];
  let at = first;
  let compacted = false;
  for (;;) {
    items.push(historyEntryOf(at.kv));
    // Version 1 is the creation: at mod revision - 1 the key did not exist.
    if (at.kv.version <= 1 || at.kv.modRevision <= 1 || items.length >= limit) break;
    const older = await read(key, at.kv.modRevision - 1);
    if (older.state === 'compacted') {
      compacted = true;
      break;
    }
    if (older.state !== 'present') break;
    at = older;
  }
  const last = items[items.length - 1]!;
  const more = !compacted && items.length >= limit && last.version > 1;
  return { key, kind, readAt: first.headerRevision, items, compacted, nextRevision: more ? last.revision - 1 : null };
}

export function historyEntryOf(kv: KeyRevision): HistoryEntry {
  let value: unknown = kv.value;
  try {
    value = JSON.parse(kv.value);
  } catch {
    // not JSON: the string as it is
  }
  const record = value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  const modTime = record && TIME_FIELDS.map((f) => record[f]).find((v): v is string => typeof v === 'string');
  return {
    revision: kv.modRevision,
    version: kv.version,
    createRevision: kv.createRevision,
    ...(modTime ? { modTime } : {}),
    value,
    ...(record && typeof record.deletedAt === 'string' ? { deleted: true as const } : {}),
  };
}

/** 403 unless this service's role writes the key's prefix: it serves its own keys only. */
export function assertOwnKey(service: ServiceName, key: string): void {
  const own = serviceRole(service).write;
  if (own.some((p) => key.startsWith(p))) return;
  throw new AppError({
    code: 'FORBIDDEN',
    message: `${service} serves the history of its own keys only (${own.join(' ')}), not ${key}`,
  });
}

@Injectable()
export class KeyHistory {
  constructor(
    @Inject(ETCD) private readonly etcd: EtcdConnection,
    @Inject(SERVICE_IDENTITY) private readonly identity: ServiceIdentity,
  ) {}

  /** The history of one of this service's own keys (400 bad key, 403 secret or not its own, 404 absent). */
  history(req: KeyHistoryRequest): Promise<HistoryReply> {
    historyKind(req.key);
    assertOwnKey(this.identity.service as ServiceName, req.key);
    return walkKeyHistory((key, revision) => this.keyAt(key, revision), req);
  }

  /** The key as it was at `revision` (the present when omitted). */
  private async keyAt(key: string, revision?: number): Promise<KeyAt> {
    const q = this.etcd.kv.get(key).options(this.deadline());
    if (revision !== undefined) q.revision(revision);
    try {
      const res = await q.exec();
      const headerRevision = Number(res.header.revision);
      const kv = res.kvs[0];
      if (!kv) return { state: 'absent', headerRevision };
      return {
        state: 'present',
        headerRevision,
        kv: {
          modRevision: Number(kv.mod_revision),
          createRevision: Number(kv.create_revision),
          version: Number(kv.version),
          value: kv.value.toString(),
        },
      };
    } catch (e) {
      const message = (e as Error).message;
      if (COMPACTED.test(message)) return { state: 'compacted' };
      if (FUTURE.test(message)) return { state: 'future' };
      throw e;
    }
  }

  /** The store's deadline, cut to the caller's budget: a slow store answers 503 naming etcd, not the caller's timeout. */
  private deadline() {
    const budget = currentDeadline();
    const left = budget === undefined ? Infinity : budget - Date.now() - REPLY_MARGIN_MS;
    return this.etcd.deadline(Math.max(50, Math.min(this.etcd.deadlineMs, left)));
  }
}
