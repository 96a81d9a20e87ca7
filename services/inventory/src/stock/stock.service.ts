/**
 * Availability, adjustments from the catalog, and closing an event's sales when it is deleted.
 * Each change is a compare-and-swap on every ticket key of the event, so it composes with
 * concurrent group commits (whichever writes second re-reads) and its stock.changed event can
 * carry the event's exact remaining count before and after it (issue 25).
 */
import { Injectable } from '@nestjs/common';
import { AppError, Events, MAX_TICKET_TYPES, type Rpc, type RpcRequest, type RpcResult } from '@ticketcd/contracts';
import { CONFLICT, retryOnConflict } from '@ticketcd/etcd';
import { JetStreamPublisher } from '@ticketcd/messaging';
import { OutboxRelay } from '@ticketcd/platform';
import { ulid } from 'ulid';
import { StockRepository, type StoredTicket } from './stock.repository.js';

const MAX_CAS_ATTEMPTS = 20;

@Injectable()
export class StockService {
  constructor(
    private readonly repo: StockRepository,
    private readonly publisher: JetStreamPublisher,
    private readonly relay: OutboxRelay,
  ) {}

  async availability(eventId: string): Promise<RpcResult<typeof Rpc.inventory.availability>> {
    const { tickets, revision } = await this.repo.tickets(eventId);
    if (tickets.length === 0) throw AppError.notFound(`event ${eventId} has no tickets (unknown event)`);
    return { eventId, revision, tickets: tickets.map(({ type, total, remaining, price }) => ({ type, total, remaining, price })) };
  }

  /** Adds a ticket type, or changes a total (never below what is sold) or a price. */
  async adjust(req: RpcRequest<typeof Rpc.inventory.adjust>): Promise<RpcResult<typeof Rpc.inventory.adjust>> {
    const what = `ticket ${req.ticketType} of event ${req.eventId}`;
    return retryOnConflict(
      {
        attempts: MAX_CAS_ATTEMPTS,
        what,
        onExhausted: () => AppError.unavailable('inventory', `${what} is too contended to adjust now; retry`),
      },
      async () => {
        const read = await this.repo.tickets(req.eventId);
        const { tickets } = read;
        const current = tickets.find((t) => t.type === req.ticketType);
        let next: Omit<StoredTicket, 'type' | 'modRevision'>;
        if (!current) {
          if (req.total === undefined || req.price === undefined)
            throw AppError.badRequest(`ticket type ${req.ticketType} does not exist yet: give both total and price to add it`);
          if (tickets.length === 0 && !(await this.repo.eventExists(req.eventId)))
            throw AppError.notFound(`event ${req.eventId} does not exist`);
          if (tickets.some((t) => t.closed)) throw AppError.conflict(`event ${req.eventId} was deleted; its tickets cannot change`);
          if (tickets.length >= MAX_TICKET_TYPES)
            throw AppError.conflict(`event ${req.eventId} already has the most ticket types allowed (${MAX_TICKET_TYPES})`);
          next = { total: req.total, remaining: req.total, price: req.price, closed: false };
        } else {
          if (current.closed) throw AppError.conflict(`event ${req.eventId} was deleted; its tickets cannot change`);
          const sold = current.total - current.remaining;
          const total = req.total ?? current.total;
          if (total < sold) throw AppError.conflict(`cannot lower ${req.ticketType} to ${total}: ${sold} already sold`, { sold });
          next = { total, remaining: total - sold, price: req.price ?? current.price, closed: false };
        }
        const changed = !current || next.total !== current.total || next.price !== current.price;
        // The write compares every ticket key of the event (putTicket), so these sums are exact.
        const eventRemainingBefore = tickets.reduce((n, t) => n + t.remaining, 0);
        const envelopes = changed
          ? [
              this.publisher.envelope(Events.inventory.stockChanged, `stock:${req.eventId}:${req.ticketType}:${ulid()}`, {
                eventId: req.eventId,
                ticketType: req.ticketType,
                total: next.total,
                remaining: next.remaining,
                // The relay stamps the commit revision (stampRevision): never 0 on the stream.
                revision: 0,
                remainingBefore: current?.remaining ?? 0,
                eventRemainingBefore,
                eventRemainingAfter: eventRemainingBefore - (current?.remaining ?? 0) + next.remaining,
              }),
            ]
          : [];
        const res = await this.repo.putTicket(req.eventId, req.ticketType, read, next, envelopes);
        if (!res.committed) return CONFLICT;
        if (envelopes.length) this.relay.kick();
        return { type: req.ticketType, total: next.total, remaining: next.remaining, price: next.price, revision: res.revision };
      },
    );
  }

  /** Stops all sales of a deleted event (idempotent: a redelivered deletion changes nothing). */
  async closeEvent(eventId: string): Promise<void> {
    await retryOnConflict({ attempts: MAX_CAS_ATTEMPTS * 5, what: `closing event ${eventId}` }, async () => {
      const { tickets } = await this.repo.tickets(eventId);
      const open = tickets.filter((t) => !t.closed);
      if (open.length === 0) return;
      // All types at once: a sale can never slip in between the closing of two types.
      return (await this.repo.closeAll(eventId, open)) ? undefined : CONFLICT;
    });
  }
}
