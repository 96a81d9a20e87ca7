/**
 * The etcd key schema: the only place a key is spelled. Builders validate every segment;
 * `prefixes` gives the ranges the app scans. The layout follows docs/architecture.md.
 */
import { seg } from './segments.js';

export const SEP = ':';

/** Names of the static lists kept under `static:`. */
export const STATIC_LISTS = ['locations', 'event-types', 'ticket-types'] as const;
export type StaticListName = (typeof STATIC_LISTS)[number];

/** Search index dimensions. */
export const SEARCH_FIELDS = ['text', 'type', 'location'] as const;
export type SearchField = (typeof SEARCH_FIELDS)[number];

/** Services that own a prefix; also the names in `svc:` keys. */
export const SERVICE_NAMES = ['gateway', 'catalog', 'inventory', 'orders', 'search-indexer', 'notifier'] as const;
export type ServiceName = (typeof SERVICE_NAMES)[number];

/** Partition numbers are 0..999, two digits at least so keys sort in partition order. */
function partitionNumber(n: unknown): string {
  if (typeof n === 'number' && Number.isInteger(n) && n >= 0 && n < 1000) return String(n).padStart(2, '0');
  throw new Error(`invalid partition ${JSON.stringify(n)}: must be a whole number 0-999`);
}

function staticList(name: unknown): StaticListName {
  if (typeof name === 'string' && (STATIC_LISTS as readonly string[]).includes(name)) return name as StaticListName;
  throw new Error(`invalid static list ${JSON.stringify(name)}: must be one of ${STATIC_LISTS.join(', ')}`);
}

function searchField(field: unknown): SearchField {
  if (typeof field === 'string' && (SEARCH_FIELDS as readonly string[]).includes(field)) return field as SearchField;
  throw new Error(`invalid search field ${JSON.stringify(field)}: must be one of ${SEARCH_FIELDS.join(', ')}`);
}

function searchValue(field: SearchField, value: unknown): string {
  return field === 'text' ? seg.term(value) : seg.slug(field === 'type' ? 'event type' : 'location', value);
}

const join = (...parts: string[]) => parts.join(SEP);

export const keys = {
  user: (username: string) => join('user', seg.username(username)),
  session: (tokenSha256: string) => join('session', seg.sha256('session token hash', tokenSha256)),
  event: (eventId: string) => join('event', seg.id('event id', eventId)),
  staticList: (name: StaticListName) => join('static', staticList(name)),
  ticket: (eventId: string, ticketType: string) => join('ticket', seg.id('event id', eventId), seg.slug('ticket type', ticketType)),
  sale: (eventId: string, orderId: string) => join('sale', seg.id('event id', eventId), seg.id('order id', orderId)),
  /**
   * What an idempotency key sold (orderId derives from user and key): the event and lines of its
   * order, written by inventory in the sale's own Txn (Create == 0), so the key binds on a sale
   * only (issue 27; older data: written by orders.place before it asked inventory).
   */
  order: (username: string, orderId: string) => join('order', seg.username(username), seg.id('order id', orderId)),
  purchase: (username: string, eventId: string, orderId: string) =>
    join('purchase', seg.username(username), seg.id('event id', eventId), seg.id('order id', orderId)),
  favourite: (username: string, eventId: string) => join('favourite', seg.username(username), seg.id('event id', eventId)),
  /** How many users favour the event: kept with each favourite put or delete, in the same Txn. */
  favouriteCount: (eventId: string) => join('favcount', seg.id('event id', eventId)),
  notification: (username: string, eventId: string) => join('notification', seg.username(username), seg.id('event id', eventId)),
  /** The event's side of a notification: the same record, so a stock change reads its subscribers in one range. */
  subscriber: (eventId: string, username: string) => join('subscriber', seg.id('event id', eventId), seg.username(username)),
  alert: (username: string, alertId: string) => join('alert', seg.username(username), seg.id('alert id', alertId)),
  search: (field: SearchField, value: string, eventId: string) => {
    const f = searchField(field);
    return join('search', f, searchValue(f, value), seg.id('event id', eventId));
  },
  /** What the indexer last indexed for an event (version, postings): the index's own guard. */
  searchMeta: (eventId: string) => join('search', 'meta', seg.id('event id', eventId)),
  stats: (eventId: string) => join('stats', seg.id('event id', eventId)),
  /**
   * Legacy: totals over all events, no longer written (issue 17: one key moved by every sale was
   * the consumer's bottleneck; totals are the events' stats summed on read). Named so readers
   * skip it and `reconcile --fix` deletes it.
   */
  statsAll: () => join('stats', 'all'),
  /** Transactional outbox entry of a publishing service; relayed to JetStream. */
  outbox: (service: ServiceName, entryId: string) => join('outbox', seg.slug('service', service), seg.id('outbox entry id', entryId)),
  /** An outbox entry the relay could not expand or publish after its attempts: kept aside with why. */
  outboxQuarantine: (service: ServiceName, entryId: string) =>
    join('outbox-quarantine', seg.slug('service', service), seg.id('outbox entry id', entryId)),
  svc: (service: string, instanceId: string) => join('svc', seg.slug('service', service), seg.instance(instanceId)),
  /** Issue 17: who holds partition n of a service's work (inventory: events hashed); on the holder's lease. */
  partition: (service: ServiceName, partition: number) => join('partition', seg.slug('service', service), partitionNumber(partition)),
  /** An instance taking part in a service's partitions, on the same lease as the partitions it holds. */
  partitionMember: (service: ServiceName, instanceId: string) =>
    join('partition-member', seg.slug('service', service), seg.instance(instanceId)),
} as const;

/** Key ranges scanned by prefix. Every prefix ends in `:` unless it is meant to match a partial segment. */
export const prefixes = {
  users: () => 'user:',
  sessions: () => 'session:',
  events: () => 'event:',
  ticketsOf: (eventId: string) => join('ticket', seg.id('event id', eventId)) + SEP,
  sales: () => 'sale:',
  salesOf: (eventId: string) => join('sale', seg.id('event id', eventId)) + SEP,
  purchases: () => 'purchase:',
  /** Order claims (idempotency keys' bindings). */
  orders: () => 'order:',
  tickets: () => 'ticket:',
  purchasesOf: (username: string) => join('purchase', seg.username(username)) + SEP,
  purchasesOfFor: (username: string, eventId: string) => join('purchase', seg.username(username), seg.id('event id', eventId)) + SEP,
  favourites: () => 'favourite:',
  favouritesOf: (username: string) => join('favourite', seg.username(username)) + SEP,
  /** Every event's favourite count (`favcount:<eventId>`). */
  favouriteCounts: () => 'favcount:',
  notifications: () => 'notification:',
  notificationsOf: (username: string) => join('notification', seg.username(username)) + SEP,
  subscribersOf: (eventId: string) => join('subscriber', seg.id('event id', eventId)) + SEP,
  alertsOf: (username: string) => join('alert', seg.username(username)) + SEP,
  /** All postings of one exact term / type / location. */
  searchExact: (field: SearchField, value: string) => {
    const f = searchField(field);
    return join('search', f, searchValue(f, value)) + SEP;
  },
  /** Word-prefix search: `search:text:con` also matches `search:text:concert:<id>`. */
  searchTextPrefix: (termPrefix: string) => join('search', 'text', seg.termPrefix(termPrefix)),
  search: () => 'search:',
  searchMeta: () => 'search:meta:',
  stats: () => 'stats:',
  outboxOf: (service: ServiceName) => join('outbox', seg.slug('service', service)) + SEP,
  outboxQuarantineOf: (service: ServiceName) => join('outbox-quarantine', seg.slug('service', service)) + SEP,
  svc: () => 'svc:',
  svcOf: (service: string) => join('svc', seg.slug('service', service)) + SEP,
  partitionsOf: (service: ServiceName) => join('partition', seg.slug('service', service)) + SEP,
  partitionMembersOf: (service: ServiceName) => join('partition-member', seg.slug('service', service)) + SEP,
} as const;
