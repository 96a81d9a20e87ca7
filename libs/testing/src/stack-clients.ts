/** A private stack plus the clients a service test needs: etcd, request-reply and raw NATS. */
import { createEtcdConnection, type EtcdConnection } from '@ticketcd/etcd';
import { connectNats, type NatsConnection, type RpcClient } from '@ticketcd/messaging';
import type { Stack, StackOptions } from '@ticketcd/stack';
import { testRpcClient } from './rpc.js';
import { startPrivateStack, stopPrivateStack } from './test-stack.js';

export interface StackClients {
  stack: Stack;
  etcd: EtcdConnection;
  rpc: { client: RpcClient; close: () => Promise<void> };
  nc: NatsConnection;
  close(): Promise<void>;
}

export async function startStackWithClients(
  opts: Partial<Pick<StackOptions, 'services' | 'instances' | 'env' | 'control'>>,
): Promise<StackClients> {
  const stack = await startPrivateStack({ ...opts, env: { LOG_LEVEL: 'warn', ...opts.env } });
  const etcd = createEtcdConnection({ endpoints: stack.etcd.endpoints, deadlineMs: 5000 });
  const rpc = await testRpcClient(stack.nats.url, 60_000);
  const nc = await connectNats({ servers: [stack.nats.url], name: 'test' });
  return {
    stack,
    etcd,
    rpc,
    nc,
    close: async () => {
      await rpc.close();
      await nc.drain();
      etcd.close();
      await stopPrivateStack(stack);
    },
  };
}
