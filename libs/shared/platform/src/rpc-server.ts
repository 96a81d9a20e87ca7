/**
 * Nest's NATS server with a drain. Its own close() drops the subscriptions and the connection
 * at once, so requests already taken (e.g. orders queued for a group commit) were never
 * answered and their callers timed out. Here `stopAccepting()` drains each subscription (UNSUB,
 * then the requests the server had already sent are still handled) so the queue group hands
 * new requests to the other instances; the lifecycle then waits for the handlers in flight,
 * and close() flushes their replies before closing.
 */
import { ServerNats } from '@nestjs/microservices';
import type { NatsConnection } from '@ticketcd/messaging';

type Subscription = ReturnType<NatsConnection['subscribe']>;

export class DrainableNatsServer extends ServerNats {
  private stopped: Promise<void> | null = null;

  stopAccepting(): Promise<void> {
    // ServerNats keeps its subscriptions private; it has no drain of its own.
    const subs = (this as unknown as { subscriptions: Subscription[] }).subscriptions ?? [];
    this.stopped ??= Promise.all(subs.map((s) => s.drain().catch(() => undefined))).then(() => undefined);
    return this.stopped;
  }

  override async close(): Promise<void> {
    // Bounded: with NATS unreachable a drain or flush would wait for a reconnection.
    const within = (p: Promise<unknown> | undefined) =>
      Promise.race([p?.catch(() => undefined), new Promise((r) => setTimeout(r, 1000).unref())]);
    await within(this.stopAccepting());
    await within((this as unknown as { natsClient?: NatsConnection | null }).natsClient?.flush());
    await super.close();
  }
}
