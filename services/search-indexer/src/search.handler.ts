/** NATS entry points of the search service: the contract validates, the services decide. */
import { Controller } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import { Rpc, type RpcRequest } from '@ticketcd/contracts';
import { RpcHandler } from '@ticketcd/messaging';
import { KeyHistory } from '@ticketcd/platform';
import { IndexerService } from './index/indexer.service.js';
import { QueryService } from './query/query.service.js';

@Controller()
export class SearchHandler {
  constructor(
    private readonly queries: QueryService,
    private readonly indexer: IndexerService,
    private readonly ownKeys: KeyHistory,
  ) {}

  @RpcHandler(Rpc.search.query)
  query(@Payload() req: RpcRequest<typeof Rpc.search.query>) {
    return this.queries.query(req);
  }

  @RpcHandler(Rpc.search.verify)
  verify() {
    return this.indexer.verify();
  }

  @RpcHandler(Rpc.search.rebuild)
  rebuild(@Payload() req: RpcRequest<typeof Rpc.search.rebuild>) {
    return this.indexer.rebuild(req.dryRun ?? false);
  }

  /** Admin only (the gateway's key history route): one of this service's own keys, its past values. */
  @RpcHandler(Rpc.search.keyHistory)
  keyHistory(@Payload() req: RpcRequest<typeof Rpc.search.keyHistory>) {
    return this.ownKeys.history(req);
  }
}
