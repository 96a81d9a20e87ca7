export const SERVICE_CONFIG = Symbol('ticketcd:service-config');
export const SERVICE_IDENTITY = Symbol('ticketcd:service-identity');
export const ETCD = Symbol('ticketcd:etcd');
export const NATS = Symbol('ticketcd:nats');
export const RPC_PROXY = Symbol('ticketcd:rpc-proxy');

export interface ServiceIdentity {
  service: string;
  instanceId: string;
  version: string;
  startedAt: string;
}
