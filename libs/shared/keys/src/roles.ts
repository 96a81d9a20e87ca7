/**
 * Which key prefixes each service's etcd user may touch (issue 15: one etcd user per service).
 * The one source of the roles: the setup tool (`@ticketcd/deploy`, `etcd-auth apply`) grants
 * exactly these, docs/architecture.md shows them (`npm run docs:roles`), and
 * test/deploy/roles-coverage.spec.ts checks them against every builder the services call.
 * Every prefix is spelled by the builders of keys.ts, never typed here.
 */
import { createHash } from 'node:crypto';
import { keys, prefixes, SEP, SERVICE_NAMES, type ServiceName } from './keys.js';

/** The top-level namespace (`user:`) of a key or prefix the schema built. */
export function namespaceOf(keyOrPrefix: string): string {
  const i = keyOrPrefix.indexOf(SEP);
  if (i <= 0) throw new Error(`not a key of the schema: ${JSON.stringify(keyOrPrefix)}`);
  return keyOrPrefix.slice(0, i + 1);
}

// Sample segments: only the namespace of what the builders make of them is kept.
const ID = '00000000-0000-4000-8000-000000000000';
const USER = 'sample';
const HASH = '0'.repeat(64);

/** Every top-level namespace of the schema, as the builders spell it. */
export const NAMESPACES = {
  user: namespaceOf(prefixes.users()),
  session: namespaceOf(keys.session(HASH)),
  event: namespaceOf(prefixes.events()),
  static: namespaceOf(keys.staticList('locations')),
  ticket: namespaceOf(prefixes.ticketsOf(ID)),
  sale: namespaceOf(prefixes.sales()),
  order: namespaceOf(keys.order(USER, ID)),
  purchase: namespaceOf(prefixes.purchases()),
  favourite: namespaceOf(prefixes.favouritesOf(USER)),
  favcount: namespaceOf(keys.favouriteCount(ID)),
  notification: namespaceOf(prefixes.notificationsOf(USER)),
  subscriber: namespaceOf(prefixes.subscribersOf(ID)),
  alert: namespaceOf(prefixes.alertsOf(USER)),
  search: namespaceOf(prefixes.search()),
  stats: namespaceOf(prefixes.stats()),
  outbox: namespaceOf(prefixes.outboxOf('gateway')),
  outboxQuarantine: namespaceOf(prefixes.outboxQuarantineOf('gateway')),
  svc: namespaceOf(prefixes.svc()),
  partition: namespaceOf(prefixes.partitionsOf('inventory')),
  partitionMember: namespaceOf(prefixes.partitionMembersOf('inventory')),
} as const;
export type NamespaceName = keyof typeof NAMESPACES;

export interface ServiceRole {
  /** Prefixes the service writes (granted read and write: it reads what it writes, e.g. in Txn compares). */
  write: readonly string[];
  /** Prefixes it only reads (granted read). */
  read: readonly string[];
}

/**
 * What libs/shared/platform does for every service: its `svc:<service>:` instance key (on a
 * lease), its outbox and the relay's quarantine (the relay runs in every service, and /metrics
 * counts the quarantine).
 */
export function platformPrefixes(service: ServiceName): string[] {
  return [prefixes.svcOf(service), prefixes.outboxOf(service), prefixes.outboxQuarantineOf(service)];
}

const N = NAMESPACES;

const TABLE: Record<ServiceName, ServiceRole> = {
  // Accounts and sessions; reads the live instances (svc:) for the cluster page and the instance list.
  // The internet-facing process reads nothing else (issue 26.3): the admin key history of another
  // service's key, and whether an event exists, are asked of the owner over NATS.
  gateway: { write: [N.user, N.session], read: [N.svc] },
  // Events, favourites, static lists; every ticket: key of an event at its creation.
  catalog: { write: [N.event, N.favourite, N.favcount, N.static, N.ticket], read: [] },
  // Stock and sales (libs/inventory/core), each with its order: key (what its idempotency key sold);
  // reads the event for its ticket types; holds partitions of events.
  inventory: { write: [N.ticket, N.sale, N.order, N.partition, N.partitionMember], read: [N.event] },
  // Purchase history and stats, built from the sales.
  orders: { write: [N.purchase, N.stats], read: [N.sale] },
  // The search index (its meta keys too: search:meta:); indexes events.
  'search-indexer': { write: [N.search], read: [N.event] },
  // Subscriptions and alerts; reads the event and its ticket: stock; holds partitions of events (issue 25).
  notifier: { write: [N.notification, N.subscriber, N.alert, N.partition, N.partitionMember], read: [N.event, N.ticket] },
};

/** The role of one service: its own prefixes plus the platform's. */
export function serviceRole(service: ServiceName): ServiceRole {
  const role = TABLE[service];
  if (!role) throw new Error(`unknown service ${JSON.stringify(service)} (one of ${SERVICE_NAMES.join(', ')})`);
  return { write: [...role.write, ...platformPrefixes(service)], read: [...role.read] };
}

export type EtcdPermission = 'read' | 'readwrite';

export interface PrefixGrant {
  /** Key prefix, under the namespace when one is set (ETCD_NAMESPACE). */
  prefix: string;
  permission: EtcdPermission;
}

/**
 * The grants of a service's etcd role. `namespace` is ETCD_NAMESPACE: the client puts every key
 * under it, so the grants must be too.
 */
export function roleGrants(service: ServiceName, namespace = ''): PrefixGrant[] {
  const role = serviceRole(service);
  return [
    ...role.write.map((p) => ({ prefix: namespace + p, permission: 'readwrite' as const })),
    ...role.read.map((p) => ({ prefix: namespace + p, permission: 'read' as const })),
  ];
}

/**
 * A short fingerprint of a list of grants (order does not matter). Each instance publishes the one
 * of its own role in its `svc:` value (`grants`), taken without ETCD_NAMESPACE; `etcd-auth apply`
 * revokes a permission the new table drops only once no live instance of the service reports
 * another fingerprint, i.e. runs an older (or newer) table (issue 29.1).
 */
export function grantsHash(grants: readonly PrefixGrant[]): string {
  const lines = grants.map((g) => `${g.permission} ${g.prefix}`).sort();
  return createHash('sha256').update(lines.join('\n')).digest('hex').slice(0, 16);
}

/**
 * The service that serves a key's history (issue 26.3): one whose role writes the key's prefix,
 * as it reads its own keys with no extra grant. Where two write a namespace (ticket:, partition:),
 * the one the key names wins (partition:notifier:01), else the longest prefix, else the first
 * in SERVICE_NAMES. Undefined: no service writes such a key.
 */
export function keyOwner(key: string): ServiceName | undefined {
  const named = key.split(SEP)[1];
  let best: { service: ServiceName; rank: [number, number] } | undefined;
  for (const service of SERVICE_NAMES) {
    const longest = Math.max(
      -1,
      ...serviceRole(service)
        .write.filter((p) => key.startsWith(p))
        .map((p) => p.length),
    );
    if (longest < 0) continue;
    const rank: [number, number] = [named === service ? 1 : 0, longest];
    if (!best || rank[0] > best.rank[0] || (rank[0] === best.rank[0] && rank[1] > best.rank[1])) best = { service, rank };
  }
  return best?.service;
}

/** The whole table, one row per service, in SERVICE_NAMES order. */
export function rolesTable(): { service: ServiceName; write: readonly string[]; read: readonly string[] }[] {
  return SERVICE_NAMES.map((service) => ({ service, ...serviceRole(service) }));
}
