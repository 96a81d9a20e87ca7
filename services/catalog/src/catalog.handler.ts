/** NATS entry points of the catalog: the contract validates, the services decide. */
import { Controller } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import { Rpc, type RpcRequest } from '@ticketcd/contracts';
import { RpcHandler } from '@ticketcd/messaging';
import { KeyHistory } from '@ticketcd/platform';
import { EventsRepository } from './events/events.repository.js';
import { EventsService } from './events/events.service.js';
import { FavouritesService } from './favourites/favourites.service.js';
import { StaticService } from './static/static.service.js';

@Controller()
export class CatalogHandler {
  constructor(
    private readonly events: EventsService,
    private readonly statics: StaticService,
    private readonly eventsRepo: EventsRepository,
    private readonly favourites: FavouritesService,
    private readonly ownKeys: KeyHistory,
  ) {}

  /** Admin only (stats and sales of an event answer 404 for one never created): the gateway reads no event: key. */
  @RpcHandler(Rpc.catalog.eventExists)
  eventExists(@Payload() req: RpcRequest<typeof Rpc.catalog.eventExists>) {
    return this.eventsRepo.existence(req.eventId);
  }

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

  @RpcHandler(Rpc.catalog.listEvents)
  list(@Payload() req: RpcRequest<typeof Rpc.catalog.listEvents>) {
    return this.events.list(req);
  }

  @RpcHandler(Rpc.catalog.availability)
  availability(@Payload() req: RpcRequest<typeof Rpc.catalog.availability>) {
    return this.events.availability(req.eventIds);
  }

  @RpcHandler(Rpc.catalog.addFavourite)
  addFavourite(@Payload() req: RpcRequest<typeof Rpc.catalog.addFavourite>) {
    return this.favourites.add(req.username, req.eventId);
  }

  @RpcHandler(Rpc.catalog.removeFavourite)
  removeFavourite(@Payload() req: RpcRequest<typeof Rpc.catalog.removeFavourite>) {
    return this.favourites.remove(req.username, req.eventId);
  }

  @RpcHandler(Rpc.catalog.listFavourites)
  listFavourites(@Payload() req: RpcRequest<typeof Rpc.catalog.listFavourites>) {
    return this.favourites.list(req);
  }

  @RpcHandler(Rpc.catalog.getStaticLists)
  staticLists() {
    return this.statics.lists();
  }

  @RpcHandler(Rpc.catalog.updateStaticList)
  async updateStaticList(@Payload() req: RpcRequest<typeof Rpc.catalog.updateStaticList>) {
    const values = await this.statics.update(req.list, req.add ?? [], req.remove ?? [], (list, value) =>
      list === 'ticket-types'
        ? this.eventsRepo.anyTicketOfType(value)
        : this.eventsRepo.anyEventUses(list === 'locations' ? 'location' : 'type', value),
    );
    return { values };
  }

  /** Admin only (the gateway's key history route): one of this service's own keys, its past values. */
  @RpcHandler(Rpc.catalog.keyHistory)
  keyHistory(@Payload() req: RpcRequest<typeof Rpc.catalog.keyHistory>) {
    return this.ownKeys.history(req);
  }
}
