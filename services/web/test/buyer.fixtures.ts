/**
 * Data for the buyer pages' browser tests, made through the API: events created by the admin,
 * users registered and logged in, orders placed beside the browser (another buyer).
 */
import { randomUUID } from 'node:crypto';
import type { Page } from 'playwright-core';
import { ADMIN } from './browser.js';

/** A logged-in API client (cookie kept by hand; the gateway checks Origin on writes). */
export class Api {
  private cookie = '';
  constructor(readonly base: string) {}

  async request(method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
    const r = await fetch(this.base + path, {
      method,
      headers: {
        origin: this.base,
        cookie: this.cookie,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        ...headers,
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const set = r.headers.getSetCookie()[0];
    if (set) this.cookie = set.split(';')[0]!;
    const text = await r.text();
    return { status: r.status, body: text ? JSON.parse(text) : undefined };
  }

  static async login(base: string, username: string, password = 'a long passphrase'): Promise<Api> {
    const a = new Api(base);
    const r = await a.request('POST', '/api/auth/login', { username, password });
    if (r.status !== 200) throw new Error(`login ${username}: ${r.status} ${JSON.stringify(r.body)}`);
    return a;
  }

  static async user(base: string, username = `b${randomUUID().slice(0, 8)}`, password = 'a long passphrase'): Promise<Api> {
    const a = new Api(base);
    const r = await a.request('POST', '/api/auth/register', { username, password });
    if (r.status !== 201) throw new Error(`register ${username}: ${r.status} ${JSON.stringify(r.body)}`);
    return Api.login(base, username, password);
  }

  static admin(base: string) {
    return Api.login(base, ADMIN.username, ADMIN.password);
  }

  async buy(eventId: string, lines: { type: string; quantity: number }[]) {
    return this.request('POST', '/api/orders', { eventId, lines }, { 'idempotency-key': randomUUID() });
  }
}

export interface Lists {
  locations: string[];
  eventTypes: string[];
  ticketTypes: string[];
}

export async function staticLists(admin: Api): Promise<Lists> {
  return (await admin.request('GET', '/api/static')).body as Lists;
}

/** Creates an event with tickets of the given types (totals and prices in cents); returns its id. */
export async function createEvent(
  admin: Api,
  lists: Lists,
  spec: {
    name: string;
    description?: string;
    days?: number;
    maxPerOrder?: number;
    tickets: { type: string; total: number; price: number }[];
  },
): Promise<string> {
  const r = await admin.request('POST', '/api/events', {
    name: spec.name,
    description: spec.description ?? 'An evening to remember. Doors open one hour before the show.',
    location: lists.locations[0],
    type: lists.eventTypes[0],
    date: new Date(Date.now() + (spec.days ?? 20) * 86400_000).toISOString(),
    maxPerOrder: spec.maxPerOrder ?? 10,
    ticketTypes: spec.tickets,
  });
  if (r.status !== 201) throw new Error(`create event: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body.eventId as string;
}

/** Waits for running CSS transitions (a button fading back from its busy colour) to end before axe looks. */
export async function transitionsDone(page: Page): Promise<void> {
  await page.waitForFunction(() => document.getAnimations().every((a) => !(a instanceof CSSTransition)), undefined, { timeout: 5000 });
}
