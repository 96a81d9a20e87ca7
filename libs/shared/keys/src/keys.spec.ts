/** Guards the key schema (design brief, invariant 6: ':' or '/' in names never reaches etcd). */
import { buildKey, KeyParseError, keys, KeySegmentError, parseKey, prefixes, type ParsedKey } from './index.js';

const EVENT = '0d6e1f4c-3a2b-4c5d-8e9f-0a1b2c3d4e5f';
const ORDER = '01JDQ3Z6X8M2N4P6R8T0V2W4Y6';
const ALERT = '01JDQ3Z6X8M2N4P6R8T0V2W4Y7';
const HASH = 'a'.repeat(64);

const samples: [ParsedKey, string][] = [
  [{ kind: 'user', username: 'john.doe' }, 'user:john.doe'],
  [{ kind: 'session', tokenSha256: HASH }, `session:${HASH}`],
  [{ kind: 'event', eventId: EVENT }, `event:${EVENT}`],
  [{ kind: 'static', list: 'locations' }, 'static:locations'],
  [{ kind: 'static', list: 'event-types' }, 'static:event-types'],
  [{ kind: 'static', list: 'ticket-types' }, 'static:ticket-types'],
  [{ kind: 'ticket', eventId: EVENT, ticketType: 'pink' }, `ticket:${EVENT}:pink`],
  [{ kind: 'sale', eventId: EVENT, orderId: ORDER }, `sale:${EVENT}:${ORDER}`],
  [{ kind: 'order', username: 'john_doe', orderId: ORDER }, `order:john_doe:${ORDER}`],
  [{ kind: 'purchase', username: 'john_doe', eventId: EVENT, orderId: ORDER }, `purchase:john_doe:${EVENT}:${ORDER}`],
  [{ kind: 'favourite', username: 'ana', eventId: EVENT }, `favourite:ana:${EVENT}`],
  [{ kind: 'favcount', eventId: EVENT }, `favcount:${EVENT}`],
  [{ kind: 'notification', username: 'ana', eventId: EVENT }, `notification:ana:${EVENT}`],
  [{ kind: 'subscriber', eventId: EVENT, username: 'ana' }, `subscriber:${EVENT}:ana`],
  [{ kind: 'alert', username: 'ana', alertId: ALERT }, `alert:ana:${ALERT}`],
  [{ kind: 'search', field: 'text', value: 'concert', eventId: EVENT }, `search:text:concert:${EVENT}`],
  [{ kind: 'search', field: 'text', value: 'são', eventId: EVENT }, `search:text:são:${EVENT}`],
  [{ kind: 'search', field: 'text', value: '東京', eventId: EVENT }, `search:text:東京:${EVENT}`],
  [{ kind: 'search', field: 'type', value: 'concert', eventId: EVENT }, `search:type:concert:${EVENT}`],
  [{ kind: 'search', field: 'location', value: 'porto', eventId: EVENT }, `search:location:porto:${EVENT}`],
  [{ kind: 'stats', eventId: EVENT }, `stats:${EVENT}`],
  [{ kind: 'searchMeta', eventId: EVENT }, `search:meta:${EVENT}`],
  [{ kind: 'statsAll' }, 'stats:all'],
  [{ kind: 'outbox', service: 'inventory', entryId: ORDER }, `outbox:inventory:${ORDER}`],
  [{ kind: 'outboxQuarantine', service: 'inventory', entryId: ORDER }, `outbox-quarantine:inventory:${ORDER}`],
  [{ kind: 'svc', service: 'search-indexer', instanceId: 'search-indexer-7d9f-abc12' }, 'svc:search-indexer:search-indexer-7d9f-abc12'],
  [{ kind: 'partition', service: 'inventory', partition: 7 }, 'partition:inventory:07'],
  [{ kind: 'partitionMember', service: 'inventory', instanceId: 'inventory-1' }, 'partition-member:inventory:inventory-1'],
];

describe('key schema', () => {
  it.each(samples)('builds and parses %j', (parsed, key) => {
    expect(buildKey(parsed)).toBe(key);
    expect(parseKey(key)).toEqual(parsed);
  });

  it('covers every namespace of the design brief', () => {
    const kinds = new Set(samples.map(([p]) => p.kind));
    expect([...kinds].sort()).toEqual(
      [
        'alert',
        'event',
        'favcount',
        'favourite',
        'notification',
        'order',
        'outbox',
        'outboxQuarantine',
        'partition',
        'partitionMember',
        'purchase',
        'sale',
        'search',
        'searchMeta',
        'session',
        'static',
        'stats',
        'statsAll',
        'subscriber',
        'svc',
        'ticket',
        'user',
      ].sort(),
    );
  });

  it.each([
    ['a colon', () => keys.ticket(EVENT, 'vip:x'), /ticket type "vip:x": must not contain ':'/],
    ['a slash', () => keys.ticket(EVENT, 'vip/x'), /ticket type "vip\/x": must not contain '\/'/],
    ['an empty segment', () => keys.ticket(EVENT, ''), /ticket type "": must not be empty/],
    ['an over-long segment', () => keys.ticket(EVENT, 'a'.repeat(33)), /ticket type .* must be at most 32 characters \(got 33\)/],
    ['a colon in a username', () => keys.user('bob:admin'), /username "bob:admin": must not contain ':'/],
    ['a slash in a username', () => keys.user('bob/x'), /username "bob\/x": must not contain '\/'/],
    ['an empty username', () => keys.user(''), /username "": must not be empty/],
    ['an over-long username', () => keys.user('a'.repeat(33)), /username .* at most 32 characters/],
    ['an upper-case username', () => keys.user('Bob'), /username "Bob": must be 3-32 characters of a-z, 0-9, _ \. -/],
    ['a too-short username', () => keys.user('ab'), /username "ab": must be 3-32/],
    ['a non-id event id', () => keys.event('not-an-id'), /event id "not-an-id": must be a lower-case UUID or a ULID/],
    ['an upper-case uuid', () => keys.event(EVENT.toUpperCase()), /must be a lower-case UUID or a ULID/],
    ['a colon in a search term', () => keys.search('text', 'a:b', EVENT), /search term "a:b": must not contain ':'/],
    ['punctuation in a search term', () => keys.search('text', 'a-b', EVENT), /search term "a-b": must be letters and digits only/],
    ['a control character', () => keys.user('bob\u0000'), /must not contain control characters/],
    ['a non-string', () => keys.user(42 as unknown as string), /username \(number\): must be a string/],
    ['a bad session hash', () => keys.session('xyz'), /session token hash "xyz": must be 64 lower-case hex/],
  ])('rejects %s with a clear message', (_label, build, message) => {
    expect(build).toThrow(KeySegmentError);
    expect(build).toThrow(message);
  });

  it('rejects unknown static lists and search fields', () => {
    expect(() => keys.staticList('colours' as never)).toThrow(
      /invalid static list "colours": must be one of locations, event-types, ticket-types/,
    );
    expect(() => keys.search('price' as never, 'x', EVENT)).toThrow(/invalid search field "price"/);
  });

  it.each([
    ['user:', /invalid username "": must not be empty/],
    ['user:a:b', /user keys have 1 segment\(s\) after the namespace, got 2/],
    ['nope:x', /unknown namespace "nope"/],
    [`ticket:${EVENT}:Pink`, /ticket type "Pink"/],
    ['static:colours', /unknown static list "colours"/],
    [`search:price:1:${EVENT}`, /unknown search field "price"/],
    [`searchMeta:${EVENT}`, /unknown namespace "searchMeta"/],
    [`search:meta:${EVENT}:x`, /searchMeta keys have 1 segment/],
    ['user:bob/x', /must not contain '\/'/],
  ])('refuses to parse %s', (key, message) => {
    expect(() => parseKey(key)).toThrow(KeyParseError);
    expect(() => parseKey(key)).toThrow(message);
  });

  it('builds prefixes that contain exactly their keys', () => {
    expect(keys.purchase('ana', EVENT, ORDER).startsWith(prefixes.purchasesOf('ana'))).toBe(true);
    expect(keys.purchase('anabel', EVENT, ORDER).startsWith(prefixes.purchasesOf('ana'))).toBe(false);
    expect(keys.ticket(EVENT, 'pink').startsWith(prefixes.ticketsOf(EVENT))).toBe(true);
    expect(keys.sale(EVENT, ORDER).startsWith(prefixes.salesOf(EVENT))).toBe(true);
    expect(keys.search('text', 'concert', EVENT).startsWith(prefixes.searchTextPrefix('con'))).toBe(true);
    expect(keys.search('text', 'concert', EVENT).startsWith(prefixes.searchExact('text', 'con'))).toBe(false);
    expect(keys.svc('gateway', 'g-1').startsWith(prefixes.svcOf('gateway'))).toBe(true);
    expect(() => prefixes.purchasesOf('a:b')).toThrow(KeySegmentError);
  });
});

describe('derivedId', () => {
  it('names the same parts with the same key-safe id, and different parts differently', async () => {
    const { derivedId, isId } = await import('./segments.js');
    const a = derivedId('ana', EVENT, 1);
    expect(isId(a)).toBe(true);
    expect(derivedId('ana', EVENT, 1)).toBe(a);
    expect(derivedId('ana', EVENT, 2)).not.toBe(a);
    expect(derivedId('ana', 'b\nc')).not.toBe(derivedId('ana\nb', 'c'));
  });
});

// Issue 15: the role table's grants follow ETCD_NAMESPACE (the client puts every key under it).
describe('roleGrants', () => {
  it('puts every grant under the namespace, read+write for owned prefixes, read for the rest', async () => {
    const { roleGrants, NAMESPACES } = await import('./roles.js');
    expect(roleGrants('orders', 'test-ns/')).toEqual(
      expect.arrayContaining([
        { prefix: 'test-ns/purchase:', permission: 'readwrite' },
        { prefix: 'test-ns/svc:orders:', permission: 'readwrite' },
        { prefix: `test-ns/${NAMESPACES.sale}`, permission: 'read' },
      ]),
    );
    expect(roleGrants('orders', 'test-ns/').every((g) => g.prefix.startsWith('test-ns/'))).toBe(true);
    expect(roleGrants('orders').map((g) => g.prefix)).not.toContain('sale:x');
    // Issue 27: the order: key is written with the sale, by inventory; orders writes none.
    expect(roleGrants('inventory')).toContainEqual({ prefix: 'order:', permission: 'readwrite' });
    expect(roleGrants('orders').map((g) => g.prefix)).not.toContain('order:');
  });
});
