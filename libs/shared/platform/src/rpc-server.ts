/**
 * Nest's NATS server with a drain. Its own close() drops the subscriptions and the connection
 * at once, so requests already taken (e.g. orders queued for a group commit) were never
 * answered and their callers timed out. Here `stopAccepting()` drains each subscription (UNSUB,
 * then the requests the server had already sent are still handled) so the queue group hands
 * new requests to the other instances; the lifecycle then waits for the handlers in flight,
 * and close() flushes their replies before closing.
 *
 * Lame duck (issue 29.5): a nats-server stopping in a rollout tells its clients (`ldm`) and,
 * after a grace period, closes them one by one. A reply sent around that close is lost (nats.js
 * drops what it had not written when the connection goes), and its caller waits out its timeout.
 * So on `ldm` this server moves first: a new connection (the stopping server takes none, so it
 * lands on another), the handlers subscribed there, then the old connection drained (UNSUB, what
 * it was already sent is answered and flushed, closed). The queue group never lacks this instance.
 */
import { ServerNats } from '@nestjs/microservices';
import type { NatsConnection } from '@ticketcd/messaging';

type Subscription = ReturnType<NatsConnection['subscribe']>;
/** ServerNats keeps these private. */
type Internals = { subscriptions: Subscription[]; natsClient?: NatsConnection | null };

export class DrainableNatsServer extends ServerNats {
  private stopped: Promise<void> | null = null;
  /** Connections moved away from after a lame duck notice (tests read it). */
  movedAway = 0;

  private get internals(): Internals {
    return this as unknown as Internals;
  }

  override async listen(callback: (err?: unknown, ...optionalParams: unknown[]) => void): Promise<void> {
    await super.listen((err?: unknown, ...rest: unknown[]) => {
      const nc = this.internals.natsClient;
      if (!err && nc) void this.watchLameDuck(nc);
      callback(err, ...rest);
    });
  }

  private async watchLameDuck(nc: NatsConnection): Promise<void> {
    for await (const s of nc.status()) {
      if (s.type === 'ldm') {
        await this.moveAway(nc);
        return;
      }
    }
  }

  private async moveAway(old: NatsConnection): Promise<void> {
    if (this.stopped) return;
    let next: NatsConnection;
    try {
      next = (await this.createNatsClient()) as NatsConnection;
    } catch {
      return; // no other server now: the old connection stays and reconnects when it is closed
    }
    if (this.stopped || this.internals.natsClient !== old) {
      await next.close().catch(() => undefined);
      return;
    }
    const oldSubs = this.internals.subscriptions.splice(0);
    this.internals.natsClient = next;
    void this.handleStatusUpdates(next);
    void this.watchLameDuck(next);
    this.bindEvents(next);
    this.movedAway++;
    // Bounded: the stopping server closes the old connection anyway within its lame duck duration.
    await Promise.race([
      Promise.all(oldSubs.map((s) => s.drain().catch(() => undefined))).then(() => old.drain()),
      new Promise((r) => setTimeout(r, 30_000).unref()),
    ]).catch(() => undefined);
    await old.close().catch(() => undefined);
  }

  stopAccepting(): Promise<void> {
    // ServerNats keeps its subscriptions private; it has no drain of its own.
    const subs = this.internals.subscriptions ?? [];
    this.stopped ??= Promise.all(subs.map((s) => s.drain().catch(() => undefined))).then(() => undefined);
    return this.stopped;
  }

  override async close(): Promise<void> {
    // Bounded: with NATS unreachable a drain or flush would wait for a reconnection.
    const within = (p: Promise<unknown> | undefined) =>
      Promise.race([p?.catch(() => undefined), new Promise((r) => setTimeout(r, 1000).unref())]);
    await within(this.stopAccepting());
    await within(this.internals.natsClient?.flush());
    await super.close();
  }
}
