/** Favourites: idempotent add and remove; a list of live events, in pages. */
import { Injectable } from '@nestjs/common';
import { AppError, type Rpc, type RpcRequest, type RpcResult } from '@ticketcd/contracts';
import { decodeKeyCursor, encodeKeyCursor } from '@ticketcd/etcd';
import { prefixes } from '@ticketcd/keys';
import { EventsService } from '../events/events.service.js';
import { FavouritesRepository } from './favourites.repository.js';

@Injectable()
export class FavouritesService {
  constructor(
    private readonly repo: FavouritesRepository,
    private readonly events: EventsService,
  ) {}

  async add(username: string, eventId: string): Promise<{ favourite: boolean }> {
    await this.events.get(eventId); // NOT_FOUND for unknown or deleted events
    await this.repo.set(username, eventId, true);
    return { favourite: true };
  }

  async remove(username: string, eventId: string): Promise<{ favourite: boolean }> {
    await this.repo.set(username, eventId, false);
    return { favourite: false };
  }

  async list(req: RpcRequest<typeof Rpc.catalog.listFavourites>): Promise<RpcResult<typeof Rpc.catalog.listFavourites>> {
    const after = req.cursor ? decodeKeyCursor(req.cursor, prefixes.favouritesOf(req.username)) : null;
    if (req.cursor && !after) throw AppError.badRequest('invalid cursor', [{ path: 'cursor', message: 'not a cursor this API returned' }]);
    const page = await this.repo.page(req.username, req.limit ?? 20, after);
    return { items: this.events.summaries(page.eventIds), nextCursor: page.next ? encodeKeyCursor(page.next) : null };
  }
}
