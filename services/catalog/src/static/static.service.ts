/**
 * The static lists events are checked against. Seeded with the report's values the first time
 * any catalog instance starts; admins add and remove (remove only when no event uses the value).
 */
import { Injectable, type OnApplicationBootstrap } from '@nestjs/common';
import { AppError } from '@ticketcd/contracts';
import { CONFLICT, retryOnConflict } from '@ticketcd/etcd';
import type { StaticListName } from '@ticketcd/keys';
import { nowOrInBackground } from '@ticketcd/platform';
import { PinoLogger } from 'nestjs-pino';
import { StaticRepository } from './static.repository.js';

export const DEFAULT_LISTS: Record<StaticListName, string[]> = {
  locations: ['lisbon', 'porto', 'braga'],
  'event-types': ['concert', 'theater', 'dance', 'magic', 'circus'],
  'ticket-types': ['pink', 'blue', 'green', 'red'],
};

export interface StaticLists {
  locations: string[];
  eventTypes: string[];
  ticketTypes: string[];
}

@Injectable()
export class StaticService implements OnApplicationBootstrap {
  constructor(
    private readonly repo: StaticRepository,
    private readonly log: PinoLogger,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await nowOrInBackground(
      'seeding the static lists',
      async () => {
        for (const [name, values] of Object.entries(DEFAULT_LISTS)) await this.repo.seed(name as StaticListName, values);
      },
      this.log,
    );
  }

  async lists(): Promise<StaticLists> {
    const all = await this.repo.readAll();
    return { locations: all.locations.values, eventTypes: all['event-types'].values, ticketTypes: all['ticket-types'].values };
  }

  async update(
    name: StaticListName,
    add: string[],
    remove: string[],
    inUse: (name: StaticListName, value: string) => Promise<boolean>,
  ): Promise<string[]> {
    const onExhausted = () => AppError.unavailable('catalog', `${name} is being changed by someone else; retry`);
    return retryOnConflict({ attempts: 20, what: name, onExhausted }, async () => {
      const current = (await this.repo.readAll())[name];
      for (const v of remove) {
        if (await inUse(name, v)) throw AppError.conflict(`${v} is used by an event and cannot be removed from ${name}`);
      }
      const next = [...new Set([...current.values.filter((v) => !remove.includes(v)), ...add])].sort();
      return (await this.repo.write(name, next, current.modRevision)) ? next : CONFLICT;
    });
  }
}
