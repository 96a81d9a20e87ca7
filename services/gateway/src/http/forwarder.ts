/**
 * Every route that needs a service goes through here: one request-reply call with a timeout
 * (RPC_TIMEOUT_MS), its error reply mapped to HTTP (no instance: 503 naming the service; too
 * slow: 504 naming it).
 */
import { Injectable } from '@nestjs/common';
import type { RpcDef, RpcRequest, RpcResult } from '@ticketcd/contracts';
import { RpcClient, type RpcCallOptions } from '@ticketcd/messaging';
import { ApiError } from './api-error.js';

@Injectable()
export class Forwarder {
  constructor(private readonly rpc: RpcClient) {}

  async call<D extends RpcDef>(def: D, payload: RpcRequest<D>, opts: RpcCallOptions = {}): Promise<RpcResult<D>> {
    const reply = await this.rpc.request(def, payload, opts);
    if (!reply.ok) throw ApiError.fromRpc(reply.error, def.service);
    return reply.data;
  }
}
