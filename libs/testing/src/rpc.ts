/** A request-reply client for tests, as another service would call: through Nest's NATS transport. */
import { ClientProxyFactory, Transport } from '@nestjs/microservices';
import { RpcClient } from '@ticketcd/messaging';

export async function testRpcClient(natsUrl: string, timeoutMs = 30_000): Promise<{ client: RpcClient; close: () => Promise<void> }> {
  const proxy = ClientProxyFactory.create({ transport: Transport.NATS, options: { servers: [natsUrl], name: 'test-client' } });
  await proxy.connect();
  return { client: new RpcClient(proxy, timeoutMs), close: () => proxy.close() };
}
