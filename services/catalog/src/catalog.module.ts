import { Module } from '@nestjs/common';
import { CatalogHandler } from './catalog.handler.js';
import { EventsCache } from './events/events.cache.js';
import { EventsRepository } from './events/events.repository.js';
import { FavouritesRepository } from './favourites/favourites.repository.js';
import { FavouritesService } from './favourites/favourites.service.js';
import { EventsService } from './events/events.service.js';
import { StaticRepository } from './static/static.repository.js';
import { StaticService } from './static/static.service.js';

@Module({
  controllers: [CatalogHandler],
  providers: [EventsRepository, EventsCache, EventsService, StaticRepository, StaticService, FavouritesRepository, FavouritesService],
})
export class CatalogModule {}
