/**
 * Demo data for the local stack, like the report's generator: events with two or three ticket
 * types at the static lists' locations and types, over the next months. Deterministic (seeded
 * faker), written through the catalog's own API, and only into an empty catalog.
 */
import { faker } from '@faker-js/faker';
import { Rpc } from '@ticketcd/contracts';
import type { RpcClient } from '@ticketcd/messaging';

/** How many demo events `npm run stack` seeds into an empty catalog (`--seed N` changes it). */
export const DEMO_EVENTS = 24;

export interface SeedOptions {
  events: number;
  seed?: number;
}

export async function seedDemoData(rpc: RpcClient, opts: SeedOptions): Promise<number> {
  const existing = await rpc.call(Rpc.catalog.listEvents, { limit: 1 });
  if (existing.items.length > 0) return 0;
  const lists = await rpc.call(Rpc.catalog.getStaticLists, {});
  faker.seed(opts.seed ?? 42);
  const day = 86400_000;
  for (let i = 0; i < opts.events; i++) {
    const type = faker.helpers.arrayElement(lists.eventTypes);
    const ticketTypes = faker.helpers.arrayElements(lists.ticketTypes, { min: 2, max: 3 }).map((t) => ({
      type: t,
      total: faker.number.int({ min: 20, max: 400 }),
      price: faker.number.int({ min: 8, max: 120 }) * 100,
    }));
    await rpc.call(Rpc.catalog.createEvent, {
      name: `${faker.music.songName()} ${type === 'concert' ? 'live' : `(${type})`}`.slice(0, 200),
      description: faker.lorem.sentences({ min: 1, max: 3 }),
      location: faker.helpers.arrayElement(lists.locations),
      type,
      date: new Date(Date.now() + faker.number.int({ min: 1, max: 120 }) * day).toISOString().replace(/\d\d:\d\d\.\d{3}Z$/, '00:00.000Z'),
      maxPerOrder: faker.helpers.arrayElement([4, 6, 10]),
      ticketTypes,
    });
  }
  return opts.events;
}
