/**
 * Admin pages: sales figures (from orders), cluster health (from etcd itself, plus the svc: keys)
 * and a key's revision history (walked back through etcd's MVCC store, as the report did).
 */
import { Inject, Injectable } from '@nestjs/common';
import { Rpc, type RpcResult } from '@ticketcd/contracts';
import { isAvailabilityError } from '@ticketcd/etcd';
import { KeyParseError, parseKey, type KeyKind } from '@ticketcd/keys';
import { SERVICE_CONFIG } from '@ticketcd/platform';
import type { GatewayConfig } from '../gateway.config.js';
import { ApiError } from '../http/api-error.js';
import { Forwarder } from '../http/forwarder.js';
import { SystemService } from '../system/system.service.js';
import { AdminRepository, CLUSTER_DEADLINE_MS } from './admin.repository.js';
import type { ClusterReply, HistoryEntry, HistoryReply } from './admin.dto.js';

/**
 * Keys whose history is never served, even to admins: user: values hold password hashes and
 * session: keys name live sessions. Refused with 403 (the request is well formed; the data is off limits).
 */
export const SECRET_KINDS: readonly KeyKind[] = ['user', 'session'];

/** Value fields that say when a value was written, most specific first. */
const TIME_FIELDS = ['updatedAt', 'at', 'createdAt', 'startedAt'] as const;

const firstLine = (e: unknown) => (e as Error).message.split('\n')[0];

@Injectable()
export class AdminService {
  constructor(
    private readonly repo: AdminRepository,
    private readonly forward: Forwarder,
    private readonly system: SystemService,
    @Inject(SERVICE_CONFIG) private readonly config: GatewayConfig,
  ) {}

  /** Revenue, orders and tickets sold by type: of one event (404 if it never existed), or the totals. */
  async stats(eventId: string | undefined): Promise<RpcResult<typeof Rpc.orders.stats>> {
    if (eventId !== undefined) await this.mustExist(eventId);
    return this.forward.call(Rpc.orders.stats, eventId === undefined ? {} : { eventId });
  }

  /** Every event's figures (events without a sale are left out), in one call. */
  statsByEvent(): Promise<RpcResult<typeof Rpc.orders.statsByEvent>> {
    return this.forward.call(Rpc.orders.statsByEvent, {});
  }

  async eventSales(eventId: string, page: { limit: number; cursor?: string }): Promise<RpcResult<typeof Rpc.orders.eventSales>> {
    await this.mustExist(eventId);
    return this.forward.call(Rpc.orders.eventSales, { eventId, ...page });
  }

  /**
   * Members with their raft state, the leader, alarms and the live service instances. Every etcd
   * call has a short deadline: a store that does not answer gives 503 naming etcd within seconds.
   * With the quorum lost the members still answer for themselves; only what needs a quorum
   * (alarms, svc: keys) is reported missing.
   */
  async cluster(): Promise<ClusterReply> {
    let found;
    try {
      found = await this.repo.cluster();
    } catch (e) {
      throw ApiError.unavailable('etcd', `etcd did not answer the member list within ${CLUSTER_DEADLINE_MS} ms: ${firstLine(e)}`);
    }
    const status = { ...found, quotaBytes: this.config.ETCD_QUOTA_BYTES };
    if (!status.members.some((m) => m.reachable)) {
      throw ApiError.unavailable('etcd', 'no etcd member answered its status request');
    }
    if (!status.quorum) {
      return { ...status, services: null, servicesError: 'no etcd quorum: the svc: keys cannot be read' };
    }
    try {
      return { ...status, services: await this.system.instancesByService() };
    } catch (e) {
      if (!isAvailabilityError(e)) throw e;
      return { ...status, services: null, servicesError: `the svc: keys could not be read: ${firstLine(e)}` };
    }
  }

  /**
   * A key's past values, newest first: read the key at a revision, then at its mod revision - 1,
   * and so on, until it did not exist (before its creation) or the revision was compacted.
   * etcd keeps no link from a deleted key to its past, so a key absent now is 404 unless
   * `revision` names a revision when it existed.
   */
  async keyHistory(key: string, limit: number, revision?: number): Promise<HistoryReply> {
    const kind = this.historyKind(key);
    const first = await this.repo.keyAt(key, revision);
    if (first.state === 'future')
      throw ApiError.badRequest(`revision ${revision} is newer than the store's`, [{ path: 'revision', message: 'is a future revision' }]);
    if (first.state === 'compacted') return { key, kind, readAt: revision!, items: [], compacted: true, nextRevision: null };
    if (first.state === 'absent') {
      throw ApiError.notFound(
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
      const older = await this.repo.keyAt(key, at.kv.modRevision - 1);
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

  private historyKind(key: string): KeyKind {
    let kind: KeyKind;
    try {
      kind = parseKey(key).kind;
    } catch (e) {
      if (e instanceof KeyParseError) throw ApiError.badRequest(e.message, [{ path: 'key', message: e.message }]);
      throw e;
    }
    if (SECRET_KINDS.includes(kind)) {
      throw ApiError.forbidden(`the history of ${kind}: keys is not served: they hold password hashes and session tokens`);
    }
    return kind;
  }

  private async mustExist(eventId: string) {
    if (!(await this.repo.eventExists(eventId))) throw ApiError.notFound(`event ${eventId} not found`);
  }
}

export function historyEntryOf(kv: { modRevision: number; createRevision: number; version: number; value: string }): HistoryEntry {
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
