import { Module } from '@nestjs/common';
import { CatalogHandler } from './catalog.handler.js';
import { EventsRepository } from './events/events.repository.js';
import { EventsService } from './events/events.service.js';
import { StaticRepository } from './static/static.repository.js';
import { StaticService } from './static/static.service.js';

/** Events and static lists so far; favourites and listing come next (issue 5). */
@Module({
  controllers: [CatalogHandler],
  providers: [EventsRepository, EventsService, StaticRepository, StaticService],
})
export class CatalogModule {}
