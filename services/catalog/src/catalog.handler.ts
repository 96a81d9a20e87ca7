/** NATS entry points of the catalog: the contract validates, the services decide. */
import { Controller } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import { Rpc, type RpcRequest } from '@ticketcd/contracts';
import { RpcHandler } from '@ticketcd/messaging';
import { EventsRepository } from './events/events.repository.js';
import { EventsService } from './events/events.service.js';
import { StaticService } from './static/static.service.js';

@Controller()
export class CatalogHandler {
  constructor(
    private readonly events: EventsService,
    private readonly statics: StaticService,
    private readonly eventsRepo: EventsRepository,
  ) {}

  @RpcHandler(Rpc.catalog.createEvent)
  create(@Payload() req: RpcRequest<typeof Rpc.catalog.createEvent>) {
    return this.events.create(req);
  }

  @RpcHandler(Rpc.catalog.getEvent)
  get(@Payload() req: RpcRequest<typeof Rpc.catalog.getEvent>) {
    return this.events.get(req.eventId);
  }

  @RpcHandler(Rpc.catalog.updateEvent)
  update(@Payload() req: RpcRequest<typeof Rpc.catalog.updateEvent>) {
    return this.events.update(req);
  }

  @RpcHandler(Rpc.catalog.deleteEvent)
  remove(@Payload() req: RpcRequest<typeof Rpc.catalog.deleteEvent>) {
    return this.events.remove(req);
  }

  @RpcHandler(Rpc.catalog.getStaticLists)
  staticLists() {
    return this.statics.lists();
  }

  @RpcHandler(Rpc.catalog.updateStaticList)
  async updateStaticList(@Payload() req: RpcRequest<typeof Rpc.catalog.updateStaticList>) {
    const values = await this.statics.update(req.list, req.add ?? [], req.remove ?? [], (list, value) =>
      list === 'ticket-types' ? this.eventsRepo.anyTicketOfType(value) : this.eventsRepo.anyEventUses(list === 'locations' ? 'location' : 'type', value),
    );
    return { values };
  }
}
