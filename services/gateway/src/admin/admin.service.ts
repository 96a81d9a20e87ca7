/**
 * Admin pages: sales figures (from orders), cluster health (from etcd itself, plus the svc: keys)
 * and a key's revision history (walked back through etcd's MVCC store by the service that owns
 * the key, issue 26.3: the gateway's etcd user reads no other service's namespace).
 */
import { Inject, Injectable } from '@nestjs/common';
import { KEY_HISTORY_RPCS, Rpc, type HistoryReply, type RpcResult } from '@ticketcd/contracts';
import { isAvailabilityError } from '@ticketcd/etcd';
import { keyOwner } from '@ticketcd/keys';
import { historyKind, KeyHistory, SERVICE_CONFIG } from '@ticketcd/platform';
import type { GatewayConfig } from '../gateway.config.js';
import { ApiError } from '../http/api-error.js';
import { Forwarder } from '../http/forwarder.js';
import { SystemService } from '../system/system.service.js';
import { AdminRepository, CLUSTER_DEADLINE_MS } from './admin.repository.js';
import type { ClusterReply } from './admin.dto.js';

const firstLine = (e: unknown) => (e as Error).message.split('\n')[0];

@Injectable()
export class AdminService {
  constructor(
    private readonly repo: AdminRepository,
    private readonly forward: Forwarder,
    private readonly system: SystemService,
    @Inject(SERVICE_CONFIG) private readonly config: GatewayConfig,
    private readonly ownKeys: KeyHistory,
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
   * A key's past values, newest first (see walkKeyHistory, platform). The key is checked here (400
   * if it does not parse, 403 for user: and session: keys), then walked by the service whose
   * role writes its prefix, over NATS (`<service>.keys.history`); the gateway walks only its own
   * keys (svc:gateway:, its outbox). An etcd outage there comes back as 503 naming etcd.
   */
  async keyHistory(key: string, limit: number, revision?: number): Promise<HistoryReply> {
    historyKind(key);
    const owner = keyOwner(key);
    if (owner === undefined) throw ApiError.notFound(`key ${key} does not exist: no service writes keys of its prefix`);
    const req = { key, limit, ...(revision === undefined ? {} : { revision }) };
    if (owner === 'gateway') return this.ownKeys.history(req);
    return this.forward.call(KEY_HISTORY_RPCS[owner], req);
  }

  /** 404 unless the event was ever created (a deleted one counts: its sales and stats stay), asked of the catalog. */
  private async mustExist(eventId: string) {
    if (!(await this.forward.call(Rpc.catalog.eventExists, { eventId })).exists) throw ApiError.notFound(`event ${eventId} not found`);
  }
}
