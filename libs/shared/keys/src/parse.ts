/**
 * Parses any key of the schema back into its parts. Parsing re-validates every segment, so a
 * key that round-trips through `parseKey` is exactly what the builder would have produced.
 */
import { keys, SEARCH_FIELDS, SEP, STATIC_LISTS, type SearchField, type ServiceName, type StaticListName } from './keys.js';

export type ParsedKey =
  | { kind: 'user'; username: string }
  | { kind: 'session'; tokenSha256: string }
  | { kind: 'event'; eventId: string }
  | { kind: 'static'; list: StaticListName }
  | { kind: 'ticket'; eventId: string; ticketType: string }
  | { kind: 'sale'; eventId: string; orderId: string }
  | { kind: 'order'; username: string; orderId: string }
  | { kind: 'purchase'; username: string; eventId: string; orderId: string }
  | { kind: 'favourite'; username: string; eventId: string }
  | { kind: 'favcount'; eventId: string }
  | { kind: 'notification'; username: string; eventId: string }
  | { kind: 'subscriber'; eventId: string; username: string }
  | { kind: 'alert'; username: string; alertId: string }
  | { kind: 'search'; field: SearchField; value: string; eventId: string }
  | { kind: 'searchMeta'; eventId: string }
  | { kind: 'stats'; eventId: string }
  | { kind: 'statsAll' }
  | { kind: 'outbox'; service: ServiceName; entryId: string }
  | { kind: 'outboxQuarantine'; service: ServiceName; entryId: string }
  | { kind: 'svc'; service: string; instanceId: string }
  | { kind: 'partition'; service: ServiceName; partition: number }
  | { kind: 'partitionMember'; service: ServiceName; instanceId: string };

export type KeyKind = ParsedKey['kind'];

export class KeyParseError extends Error {
  override readonly name = 'KeyParseError';
  constructor(
    readonly key: string,
    reason: string,
  ) {
    super(`cannot parse key ${JSON.stringify(key)}: ${reason}`);
  }
}

const ARITY: Record<KeyKind, number> = {
  user: 1,
  session: 1,
  event: 1,
  static: 1,
  ticket: 2,
  sale: 2,
  order: 2,
  purchase: 3,
  favourite: 2,
  favcount: 1,
  notification: 2,
  subscriber: 2,
  alert: 2,
  search: 3,
  searchMeta: 1,
  stats: 1,
  statsAll: 1,
  outbox: 2,
  outboxQuarantine: 2,
  svc: 2,
  partition: 2,
  partitionMember: 2,
};

/** Builds the canonical key back from a parsed key. */
export function buildKey(k: ParsedKey): string {
  switch (k.kind) {
    case 'user':
      return keys.user(k.username);
    case 'session':
      return keys.session(k.tokenSha256);
    case 'event':
      return keys.event(k.eventId);
    case 'static':
      return keys.staticList(k.list);
    case 'ticket':
      return keys.ticket(k.eventId, k.ticketType);
    case 'sale':
      return keys.sale(k.eventId, k.orderId);
    case 'order':
      return keys.order(k.username, k.orderId);
    case 'purchase':
      return keys.purchase(k.username, k.eventId, k.orderId);
    case 'favourite':
      return keys.favourite(k.username, k.eventId);
    case 'favcount':
      return keys.favouriteCount(k.eventId);
    case 'notification':
      return keys.notification(k.username, k.eventId);
    case 'subscriber':
      return keys.subscriber(k.eventId, k.username);
    case 'alert':
      return keys.alert(k.username, k.alertId);
    case 'search':
      return keys.search(k.field, k.value, k.eventId);
    case 'searchMeta':
      return keys.searchMeta(k.eventId);
    case 'stats':
      return keys.stats(k.eventId);
    case 'statsAll':
      return keys.statsAll();
    case 'outbox':
      return keys.outbox(k.service, k.entryId);
    case 'outboxQuarantine':
      return keys.outboxQuarantine(k.service, k.entryId);
    case 'svc':
      return keys.svc(k.service, k.instanceId);
    case 'partition':
      return keys.partition(k.service, k.partition);
    case 'partitionMember':
      return keys.partitionMember(k.service, k.instanceId);
  }
}

export function parseKey(key: string): ParsedKey {
  const [namespace, ...rest] = key.split(SEP);
  if (key === keys.statsAll()) return { kind: 'statsAll' };
  // `search:meta:<eventId>` shares the search namespace; `meta` is not a search field.
  const isMeta = namespace === 'search' && rest[0] === 'meta';
  if (isMeta) rest.shift();
  const kind = isMeta
    ? 'searchMeta'
    : namespace === 'outbox-quarantine'
      ? 'outboxQuarantine'
      : namespace === 'partition-member'
        ? 'partitionMember'
        : namespace;
  // Kinds that are not namespaces of their own: only reachable through the cases above.
  const internal =
    !isMeta &&
    (namespace === 'statsAll' || namespace === 'searchMeta' || namespace === 'outboxQuarantine' || namespace === 'partitionMember');
  if (!kind || !(kind in ARITY) || internal) throw new KeyParseError(key, `unknown namespace ${JSON.stringify(kind)}`);
  const k = kind as KeyKind;
  if (rest.length !== ARITY[k])
    throw new KeyParseError(key, `${k} keys have ${ARITY[k]} segment(s) after the namespace, got ${rest.length}`);
  const [a, b, c] = rest as [string, string, string];
  let parsed: ParsedKey;
  switch (k) {
    case 'user':
      parsed = { kind: k, username: a };
      break;
    case 'session':
      parsed = { kind: k, tokenSha256: a };
      break;
    case 'event':
      parsed = { kind: k, eventId: a };
      break;
    case 'static':
      if (!(STATIC_LISTS as readonly string[]).includes(a)) throw new KeyParseError(key, `unknown static list ${JSON.stringify(a)}`);
      parsed = { kind: k, list: a as StaticListName };
      break;
    case 'ticket':
      parsed = { kind: k, eventId: a, ticketType: b };
      break;
    case 'sale':
      parsed = { kind: k, eventId: a, orderId: b };
      break;
    case 'order':
      parsed = { kind: k, username: a, orderId: b };
      break;
    case 'purchase':
      parsed = { kind: k, username: a, eventId: b, orderId: c };
      break;
    case 'favourite':
      parsed = { kind: k, username: a, eventId: b };
      break;
    case 'favcount':
      parsed = { kind: k, eventId: a };
      break;
    case 'notification':
      parsed = { kind: k, username: a, eventId: b };
      break;
    case 'subscriber':
      parsed = { kind: k, eventId: a, username: b };
      break;
    case 'alert':
      parsed = { kind: k, username: a, alertId: b };
      break;
    case 'search':
      if (!(SEARCH_FIELDS as readonly string[]).includes(a)) throw new KeyParseError(key, `unknown search field ${JSON.stringify(a)}`);
      parsed = { kind: k, field: a as SearchField, value: b, eventId: c };
      break;
    case 'searchMeta':
      parsed = { kind: k, eventId: a };
      break;
    case 'stats':
      parsed = { kind: k, eventId: a };
      break;
    case 'statsAll':
      parsed = { kind: k };
      break;
    case 'outbox':
      parsed = { kind: k, service: a as ServiceName, entryId: b };
      break;
    case 'outboxQuarantine':
      parsed = { kind: k, service: a as ServiceName, entryId: b };
      break;
    case 'svc':
      parsed = { kind: k, service: a, instanceId: b };
      break;
    case 'partition':
      parsed = { kind: k, service: a as ServiceName, partition: /^\d+$/.test(b) ? Number(b) : NaN };
      break;
    case 'partitionMember':
      parsed = { kind: k, service: a as ServiceName, instanceId: b };
      break;
  }
  try {
    // Rebuilding validates every segment with the builders' own rules.
    if (buildKey(parsed) !== key) throw new Error('not in canonical form');
  } catch (e) {
    throw new KeyParseError(key, (e as Error).message);
  }
  return parsed;
}
