/**
 * Issue 15, etcd roles: "every prefix a service touches is in its role and nothing more".
 * Scans each service's source and the libs it imports (transitively) for calls of the key
 * builders (`keys.*`, `prefixes.*`), maps each builder to the prefix it reaches, and compares
 * with the role table (libs/shared/keys/src/roles.ts) both ways. A builder seen on a line that
 * writes (put, delete, createOnce) must be a write grant.
 */
import { keys, NAMESPACES, namespaceOf, prefixes, serviceRole, SERVICE_NAMES, type ServiceName, type ServiceRole } from '@ticketcd/keys';
import fs from 'node:fs';
import path from 'node:path';

const ROOT = process.cwd();
const ID = '01JDQ3Z6X8M2N4P6R8T0V2W4Y6';
const USER = 'sample';
const HASH = 'a'.repeat(64);

// One call per builder: only the prefix it reaches is kept. A builder missing here fails the test.
type Sample = (service: ServiceName) => string;
const KEY_SAMPLES: Record<keyof typeof keys, Sample> = {
  user: () => keys.user(USER),
  session: () => keys.session(HASH),
  event: () => keys.event(ID),
  staticList: () => keys.staticList('locations'),
  ticket: () => keys.ticket(ID, 'pink'),
  sale: () => keys.sale(ID, ID),
  order: () => keys.order(USER, ID),
  purchase: () => keys.purchase(USER, ID, ID),
  favourite: () => keys.favourite(USER, ID),
  favouriteCount: () => keys.favouriteCount(ID),
  notification: () => keys.notification(USER, ID),
  subscriber: () => keys.subscriber(ID, USER),
  alert: () => keys.alert(USER, ID),
  search: () => keys.search('text', 'x', ID),
  searchMeta: () => keys.searchMeta(ID),
  stats: () => keys.stats(ID),
  statsAll: () => keys.statsAll(),
  outbox: (s) => keys.outbox(s, ID),
  outboxQuarantine: (s) => keys.outboxQuarantine(s, ID),
  svc: (s) => keys.svc(s, 'i-1'),
  partition: () => keys.partition('inventory', 1),
  partitionMember: () => keys.partitionMember('inventory', 'i-1'),
};
const PREFIX_SAMPLES: Record<keyof typeof prefixes, Sample> = {
  users: () => prefixes.users(),
  sessions: () => prefixes.sessions(),
  events: () => prefixes.events(),
  ticketsOf: () => prefixes.ticketsOf(ID),
  sales: () => prefixes.sales(),
  salesOf: () => prefixes.salesOf(ID),
  purchases: () => prefixes.purchases(),
  purchasesOf: () => prefixes.purchasesOf(USER),
  purchasesOfFor: () => prefixes.purchasesOfFor(USER, ID),
  orders: () => prefixes.orders(),
  tickets: () => prefixes.tickets(),
  favourites: () => prefixes.favourites(),
  favouritesOf: () => prefixes.favouritesOf(USER),
  favouriteCounts: () => prefixes.favouriteCounts(),
  notifications: () => prefixes.notifications(),
  notificationsOf: () => prefixes.notificationsOf(USER),
  subscribersOf: () => prefixes.subscribersOf(ID),
  alertsOf: () => prefixes.alertsOf(USER),
  searchExact: () => prefixes.searchExact('text', 'x'),
  searchTextPrefix: () => prefixes.searchTextPrefix('x'),
  search: () => prefixes.search(),
  searchMeta: () => prefixes.searchMeta(),
  stats: () => prefixes.stats(),
  outboxOf: (s) => prefixes.outboxOf(s),
  outboxQuarantineOf: (s) => prefixes.outboxQuarantineOf(s),
  svc: () => prefixes.svc(),
  svcOf: (s) => prefixes.svcOf(s),
  partitionsOf: () => prefixes.partitionsOf('inventory'),
  partitionMembersOf: () => prefixes.partitionMembersOf('inventory'),
};
/** Builders whose keys are per service: they reach the calling service's own prefix only. */
const PER_SERVICE = new Set([
  'keys.outbox',
  'keys.outboxQuarantine',
  'keys.svc',
  'prefixes.outboxOf',
  'prefixes.outboxQuarantineOf',
  'prefixes.svcOf',
]);

/** The prefix a builder reaches for `service`: the top-level namespace, or the service's own one. */
export function prefixOf(builder: string, service: ServiceName): string {
  const [obj, name] = builder.split('.') as ['keys' | 'prefixes', string];
  const sample = (obj === 'keys' ? KEY_SAMPLES : PREFIX_SAMPLES)[name as never] as Sample | undefined;
  if (!sample) throw new Error(`no sample for ${builder}: add it to this test`);
  const key = sample(service);
  if (!PER_SERVICE.has(builder)) return namespaceOf(key);
  return namespaceOf(key) + service + ':';
}

// --- the scan ------------------------------------------------------------------------------

const LIB_DIRS = ['libs/shared', 'libs/inventory', 'libs/search', 'libs/tooling'].flatMap((d) =>
  fs.readdirSync(path.join(ROOT, d)).map((n) => path.join(d, n)),
);
const LIB_BY_PACKAGE = new Map(
  LIB_DIRS.filter((d) => fs.existsSync(path.join(ROOT, d, 'package.json'))).map((d) => [
    (JSON.parse(fs.readFileSync(path.join(ROOT, d, 'package.json'), 'utf8')) as { name: string }).name,
    d,
  ]),
);

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const e of fs.readdirSync(path.join(ROOT, dir), { withFileTypes: true })) {
    const rel = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...sourceFiles(rel));
    else if (/\.ts$/.test(e.name) && !/\.(spec|int-spec|e2e-spec|test)\.ts$/.test(e.name)) out.push(rel);
  }
  return out;
}

/** The service's own files and those of every lib it imports, transitively (not the keys lib: it defines the builders). */
function filesOf(service: ServiceName): string[] {
  const dirs = new Set<string>([`services/${service}/src`]);
  const queue = [...dirs];
  while (queue.length) {
    const dir = queue.shift()!;
    for (const f of sourceFiles(dir)) {
      for (const [, pkg] of fs.readFileSync(path.join(ROOT, f), 'utf8').matchAll(/from '(@ticketcd\/[a-z-]+)'/g)) {
        const lib = LIB_BY_PACKAGE.get(pkg!);
        if (!lib || lib === 'libs/shared/keys') continue;
        const src = `${lib}/src`;
        if (!dirs.has(src)) {
          dirs.add(src);
          queue.push(src);
        }
      }
    }
  }
  return [...dirs].flatMap(sourceFiles);
}

const WRITES = /\.put\(|\.delete\(\)|type: '(put|delete)'|createOnce\(/;

export interface Touched {
  all: Set<string>;
  written: Set<string>;
  where: Map<string, string>;
}

function scan(service: ServiceName): Touched {
  const t: Touched = { all: new Set(), written: new Set(), where: new Map() };
  for (const f of filesOf(service)) {
    const lines = fs.readFileSync(path.join(ROOT, f), 'utf8').split('\n');
    lines.forEach((line, i) => {
      if (/^\s*(\*|\/\/|import )/.test(line)) return;
      for (const m of line.matchAll(/\b(keys|prefixes)\.([a-zA-Z]+)\(/g)) {
        const prefix = prefixOf(`${m[1]}.${m[2]}`, service);
        t.all.add(prefix);
        if (WRITES.test(line)) t.written.add(prefix);
        if (!t.where.has(prefix)) t.where.set(prefix, `${f}:${i + 1}`);
      }
    });
  }
  return t;
}

/** What is wrong with `role` given what the code touches: empty when they agree. */
export function compare(service: ServiceName, role: ServiceRole, touched: Touched): string[] {
  const granted = new Set([...role.write, ...role.read]);
  const problems: string[] = [];
  for (const p of touched.all)
    if (!granted.has(p)) problems.push(`${service} touches ${p} (${touched.where.get(p)}) but its role does not grant it`);
  for (const p of granted) if (!touched.all.has(p)) problems.push(`${service}'s role grants ${p} but no code of it touches ${p}`);
  for (const p of touched.written)
    if (!role.write.includes(p)) problems.push(`${service} writes ${p} (${touched.where.get(p)}) but its role only grants read`);
  const dup = [...role.write, ...role.read].filter((p, i, all) => all.indexOf(p) !== i);
  for (const p of dup) problems.push(`${service}'s role lists ${p} twice`);
  return problems;
}

describe('etcd roles (issue 15): every prefix a service touches is in its role and nothing more', () => {
  const scans = new Map(SERVICE_NAMES.map((s) => [s, scan(s)]));

  it('every service under services/ has a role', () => {
    const dirs = fs.readdirSync(path.join(ROOT, 'services')).filter((d) => fs.existsSync(path.join(ROOT, 'services', d, 'src/main.ts')));
    expect(dirs.sort()).toEqual([...SERVICE_NAMES].sort());
  });

  it.each(SERVICE_NAMES)('%s: the role matches the code both ways', (service) => {
    expect(compare(service, serviceRole(service), scans.get(service)!)).toEqual([]);
  });

  it('the brief’s reads are there: the notifier reads ticket:, orders reads sale:, catalog writes ticket:', () => {
    expect(serviceRole('notifier').read).toContain(NAMESPACES.ticket);
    expect(serviceRole('orders').read).toContain(NAMESPACES.sale);
    expect(serviceRole('catalog').write).toContain(NAMESPACES.ticket);
  });

  it("the internet-facing gateway reads no other service's namespace, only the live instances (svc:) (issue 26.3)", () => {
    expect(serviceRole('gateway').read).toEqual([NAMESPACES.svc]);
    expect(scans.get('gateway')!.all).toEqual(new Set([...serviceRole('gateway').write, NAMESPACES.svc]));
  });

  it('fails when a grant is removed', () => {
    const role = serviceRole('notifier');
    const without = { ...role, read: role.read.filter((p) => p !== NAMESPACES.ticket) };
    expect(compare('notifier', without, scans.get('notifier')!)).toEqual([
      expect.stringMatching(/^notifier touches ticket: \(services\/notifier\/src\/.*\) but its role does not grant it$/),
    ]);
  });

  it('fails when a stray grant is added', () => {
    const role = serviceRole('orders');
    expect(compare('orders', { ...role, read: [...role.read, NAMESPACES.alert] }, scans.get('orders')!)).toEqual([
      "orders's role grants alert: but no code of it touches alert:",
    ]);
  });

  it('fails when a written prefix is granted read only', () => {
    const role = serviceRole('catalog');
    const readOnly = { write: role.write.filter((p) => p !== NAMESPACES.ticket), read: [NAMESPACES.ticket] };
    expect(compare('catalog', readOnly, scans.get('catalog')!)).toEqual([
      expect.stringMatching(/^catalog writes ticket: \(.*\) but its role only grants read$/),
    ]);
  });
});
