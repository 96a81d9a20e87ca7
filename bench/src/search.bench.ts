/**
 * bench/search: 10,000 events created through the catalog and indexed by the search-indexer
 * service, on one five-member cluster, in ONE run:
 *   (a) search.query over NATS, the first time this query is asked (postings not in the indexer's
 *       cache: read from etcd), ranked, first page of 20
 *   (a') the same query again at once (postings from the indexer's watch-fed cache, issue 27)
 *   (b) the baseline: scan every event: key and filter in memory (same tokenizer, same ranking)
 * interleaved query by query, so all see the same machine noise; every (a) and (a') page is
 * checked against (b)'s. Then freshness: from an edit request to its new word being searchable.
 * Then CPU per request (issue 27), each process's CPU time from /proc over a closed-loop cell
 * of the most common word: (n) search.query over NATS, (h) GET /api/search through the gateway
 * (autocannon; the route also asks the catalog for the page's availability).
 *   npm run bench:search [-- --events 10000 --queries 400 --edits 200 --load-seconds 5
 *     --connections 100 --cache-terms N (SEARCH_POSTINGS_CACHE_TERMS; 0: no postings cache)]
 */
import { faker } from '@faker-js/faker';
import { jetstreamManager } from '@nats-io/jetstream';
import { compareListingKeys, eventRecord, listingKey, Rpc, type EventRecord, type ListingKey } from '@ticketcd/contracts';
import { createEtcdConnection, scanPrefix } from '@ticketcd/etcd';
import { parseKey, prefixes } from '@ticketcd/keys';
import { connectNats } from '@ticketcd/messaging';
import { terms, tokenize } from '@ticketcd/search-text';
import { cpuPer, LOAD_GROUP, stackCpu, startPrivateStack, stopPrivateStack, testRpcClient, waitFor } from '@ticketcd/testing';
import autocannon from 'autocannon';
import os from 'node:os';
import { parseArgs } from 'node:util';
import { closedLoop, fmt, percentile } from './measure.js';

const { values } = parseArgs({
  options: {
    events: { type: 'string', default: '10000' },
    queries: { type: 'string', default: '400' },
    edits: { type: 'string', default: '200' },
    'load-seconds': { type: 'string', default: '5' },
    connections: { type: 'string', default: '100' },
    'cache-terms': { type: 'string' },
  },
});
const LOAD_SECONDS = Number(values['load-seconds']);
const CONNECTIONS = Number(values.connections);
const EVENTS = Number(values.events);
const QUERIES = Number(values.queries);
const EDITS = Number(values.edits);
const PAGE = 20;

interface Query {
  text: string;
  type?: string;
  location?: string;
}

/** Run with --expose-gc (the npm script does). */
const gc: () => void = (globalThis as { gc?: () => void }).gc ?? (() => undefined);

const pct = percentile;

/** (b) The baseline: every event read by a range scan, matched and ranked in memory. */
async function scanSearch(kv: Parameters<typeof scanPrefix>[0], q: Query, now: string): Promise<string[]> {
  const words = tokenize(q.text);
  const full = [...new Set(words.slice(0, -1))];
  const last = words[words.length - 1]!;
  const hits: { key: [number, ...ListingKey]; id: string }[] = [];
  for await (const item of scanPrefix(kv, prefixes.events(), 1000)) {
    const k = parseKey(item.key);
    if (k.kind !== 'event') continue;
    const e: EventRecord = eventRecord.parse(JSON.parse(item.value));
    if (e.deletedAt !== null || (q.type && e.type !== q.type) || (q.location && e.location !== q.location)) continue;
    const name = new Set(terms(e.name));
    const all = new Set([...name, ...terms(`${e.description} ${e.location} ${e.type}`)]);
    if (!full.every((w) => all.has(w))) continue;
    const lastMatches = [...all].filter((t) => t.startsWith(last));
    if (lastMatches.length === 0) continue;
    const score = full.filter((w) => name.has(w)).length + (lastMatches.some((t) => name.has(t)) ? 1 : 0);
    hits.push({ key: [score, ...listingKey(k.eventId, e.date, now)], id: k.eventId });
  }
  hits.sort((a, b) => b.key[0] - a.key[0] || compareListingKeys(a.key.slice(1) as ListingKey, b.key.slice(1) as ListingKey));
  return hits.slice(0, PAGE).map((h) => h.id);
}

const stack = await startPrivateStack({
  services: ['catalog', 'search-indexer', 'gateway'],
  env: { LOG_LEVEL: 'warn', ...(values['cache-terms'] !== undefined ? { SEARCH_POSTINGS_CACHE_TERMS: values['cache-terms'] } : {}) },
});
const etcd = createEtcdConnection({ endpoints: stack.etcd.endpoints, deadlineMs: 30_000 });
const rpc = await testRpcClient(stack.nats.url, 60_000);
const nc = await connectNats({ servers: [stack.nats.url], name: 'bench-search' });
try {
  // Seed through the catalog, as users would; the indexer follows from JetStream.
  const lists = await rpc.client.call(Rpc.catalog.getStaticLists, {});
  faker.seed(42);
  const day = 86400_000;
  const specs = Array.from({ length: EVENTS }, () => ({
    name: `${faker.music.songName()} ${faker.word.adjective()}`.slice(0, 200),
    description: `${faker.company.catchPhrase()}. ${faker.lorem.sentence()}`,
    location: faker.helpers.arrayElement(lists.locations),
    type: faker.helpers.arrayElement(lists.eventTypes),
    date: new Date(Date.UTC(2027, 0, 1) + faker.number.int({ min: -200, max: 400 }) * day).toISOString(),
    maxPerOrder: 6,
    ticketTypes: [{ type: lists.ticketTypes[0]!, total: 100, price: 1000 }],
  }));
  const t0 = performance.now();
  const created = await closedLoop({
    concurrency: 32,
    maxOrders: EVENTS,
    maxMs: 30 * 60_000,
    send: (i) => rpc.client.call(Rpc.catalog.createEvent, specs[i]!),
  });
  const createdMs = performance.now() - t0;
  await waitFor(async () => (await etcd.kv.getAll().prefix(prefixes.outboxOf('catalog')).count()) === 0, {
    timeoutMs: 30 * 60_000,
    intervalMs: 50,
    what: 'the catalog outbox to be relayed',
  });
  const jsm = await jetstreamManager(nc);
  await waitFor(
    async () => {
      const info = await jsm.consumers.info('CATALOG', 'search-indexer-catalog');
      return info.num_pending === 0 && info.num_ack_pending === 0;
    },
    { timeoutMs: 30 * 60_000, intervalMs: 100, what: 'the indexer to catch up' },
  );
  const indexedMs = performance.now() - t0;
  // On a loaded machine verify's full read can miss its etcd deadline: say so and go on (every
  // page is still checked against the scan's).
  const verify = await rpc.client.call(Rpc.search.verify, {}).catch((e: Error) => {
    console.error(`verify did not answer (${e.message}): not checked`);
    return { keys: NaN, differing: NaN };
  });
  if (verify.differing > 0) throw new Error(`index differs from a rebuild in ${verify.differing} keys`);

  // Queries from the seeded words: one word, two words (the last a 3-letter prefix), a prefix
  // alone, and a word with type and location filters.
  faker.seed(7);
  const queries: Query[] = Array.from({ length: QUERIES }, (_, i) => {
    const s = faker.helpers.arrayElement(specs);
    const words = terms(`${s.name} ${s.description}`).filter((w) => w.length >= 3);
    const w = () => faker.helpers.arrayElement(words);
    switch (i % 4) {
      case 0:
        return { text: w() };
      case 1:
        return { text: `${w()} ${w().slice(0, 3)}` };
      case 2:
        return { text: w().slice(0, 3) };
      default:
        return { text: w(), type: s.type, location: s.location };
    }
  });
  const KINDS = ['one word', 'two words, the last a 3-letter prefix', 'a 3-letter prefix alone', 'one word + type + location'];
  const byKind = KINDS.map(() => ({ indexed: [] as number[], warm: [] as number[], scanned: [] as number[] }));
  const indexed: number[] = [];
  const warm: number[] = [];
  const scanned: number[] = [];
  let mismatches = 0;
  let hitsTotal = 0;
  for (const [i, q] of queries.entries()) {
    // The scan leaves megabytes of garbage in this process: collect it before each timed call,
    // or (a) would be charged for (b)'s garbage collection.
    gc();
    const a0 = performance.now();
    const page = await rpc.client.call(Rpc.search.query, { ...q, limit: PAGE });
    indexed.push(performance.now() - a0);
    byKind[i % 4]!.indexed.push(indexed[indexed.length - 1]!);
    gc();
    const b0 = performance.now();
    // The same "now" as the index used is not known here; event dates are whole days, so the
    // bench's own now ranks identically.
    const expected = await scanSearch(etcd.kv, q, new Date().toISOString());
    scanned.push(performance.now() - b0);
    byKind[i % 4]!.scanned.push(scanned[scanned.length - 1]!);
    gc();
    const c0 = performance.now();
    const again = await rpc.client.call(Rpc.search.query, { ...q, limit: PAGE });
    warm.push(performance.now() - c0);
    byKind[i % 4]!.warm.push(warm[warm.length - 1]!);
    hitsTotal += page.items.length;
    if (JSON.stringify(page.items.map((h) => h.eventId)) !== JSON.stringify(expected)) mismatches++;
    if (JSON.stringify(again.items.map((h) => h.eventId)) !== JSON.stringify(expected)) mismatches++;
  }

  // Freshness: one edit at a time adds a new word to a name; poll until a query finds it.
  const fresh: number[] = [];
  const editMs: number[] = [];
  faker.seed(9);
  const ids = created.results.map((r) => r.eventId);
  for (let i = 0; i < EDITS; i++) {
    const id = faker.helpers.arrayElement(ids);
    const current = await rpc.client.call(Rpc.catalog.getEvent, { eventId: id });
    const word = `fresh${i}q${faker.string.alpha({ length: 6, casing: 'lower' })}`;
    const s0 = performance.now();
    await rpc.client.call(Rpc.catalog.updateEvent, {
      eventId: id,
      expectedVersion: current.version,
      changes: { name: `${current.name.slice(0, 150)} ${word}` },
    });
    editMs.push(performance.now() - s0);
    for (;;) {
      const page = await rpc.client.call(Rpc.search.query, { text: word, limit: 1 });
      if (page.items[0]?.eventId === id) break;
      if (performance.now() - s0 > 30_000) throw new Error(`edit ${i} not searchable after 30 s`);
    }
    fresh.push(performance.now() - s0);
  }

  // CPU per request: the most common word of the corpus (the costliest kind of query to rank).
  const df = new Map<string, number>();
  for (const sp of specs)
    for (const t of new Set(terms(`${sp.name} ${sp.description}`))) if (t.length >= 4) df.set(t, (df.get(t) ?? 0) + 1);
  const [common, commonDf] = [...df].sort((a, b) => b[1] - a[1])[0]!;
  const cells: {
    label: string;
    requests: number;
    perSecond: number;
    p50: number;
    p99: number;
    failed: number;
    cpu: Map<string, number>;
  }[] = [];
  {
    await rpc.client.call(Rpc.search.query, { text: common, limit: PAGE }); // warm, untimed
    const before = stackCpu(stack, LOAD_GROUP);
    const r = await closedLoop({
      concurrency: 50,
      maxOrders: Number.MAX_SAFE_INTEGER,
      maxMs: LOAD_SECONDS * 1000,
      send: () => rpc.client.call(Rpc.search.query, { text: common, limit: PAGE }),
    });
    const cpu = cpuPer(before, stackCpu(stack, LOAD_GROUP), r.orders);
    cells.push({
      label: '(n) search.query over NATS, 50 in flight',
      requests: r.orders,
      perSecond: r.perSecond,
      p50: r.p50Ms,
      p99: r.p99Ms,
      failed: r.errors,
      cpu,
    });
  }
  {
    const path = `/api/search?q=${encodeURIComponent(common)}`;
    const warmReply = await fetch(`${stack.gatewayUrl!}${path}`);
    if (!warmReply.ok) throw new Error(`GET ${path}: ${warmReply.status} ${await warmReply.text()}`);
    const latencies: number[] = [];
    let failed = 0;
    const before = stackCpu(stack, LOAD_GROUP);
    const inst = autocannon({
      url: `${stack.gatewayUrl!}${path}`,
      connections: CONNECTIONS,
      duration: LOAD_SECONDS,
      timeout: 60,
    }) as Promise<autocannon.Result> & NodeJS.EventEmitter;
    // Emitted as (client, status, bytes, ms), whatever the typings say.
    inst.on('response', (_c: unknown, status: number, _b: number, ms: number) => {
      latencies.push(ms);
      if (status !== 200) failed++;
    });
    const res = await inst;
    const cpu = cpuPer(before, stackCpu(stack, LOAD_GROUP), latencies.length);
    cells.push({
      label: `(h) GET /api/search over HTTP, ${CONNECTIONS} connections`,
      requests: latencies.length,
      perSecond: latencies.length / LOAD_SECONDS,
      p50: pct(latencies, 50),
      p99: pct(latencies, 99),
      failed: failed + res.errors + res.timeouts,
      cpu,
    });
  }

  const row = (label: string, xs: number[]) =>
    `| ${label.padEnd(48)} | ${fmt(pct(xs, 50), 1).padStart(8)} | ${fmt(pct(xs, 99), 1).padStart(8)} |`;
  console.log(`\nbench/search: ${os.cpus().length} cores, etcd x5 + nats-server on 127.0.0.1, ${new Date().toISOString()}`);
  console.log(
    `${fmt(EVENTS)} events created in ${fmt(createdMs / 1000, 1)} s (${fmt(created.perSecond)}/s, ${created.errors} errors); all indexed ${fmt(indexedMs / 1000, 1)} s after the first; index: ${fmt(verify.keys)} keys, verify: ${verify.differing} differences`,
  );
  console.log(
    `${queries.length} queries, ${fmt(hitsTotal / queries.length, 1)} hits per page on average; pages that differ from the baseline's: ${mismatches}\n`,
  );
  console.log(`| ${'ms'.padEnd(48)} | ${'p50'.padStart(8)} | ${'p99'.padStart(8)} |`);
  console.log(`|${'-'.repeat(50)}|${'-'.repeat(10)}|${'-'.repeat(10)}|`);
  console.log(row('(a) search.query, first time (postings read)', indexed));
  console.log(row("(a') search.query again (postings cached)", warm));
  console.log(row('(b) scan every event: key, filter in memory', scanned));
  for (const [k, kind] of KINDS.entries()) {
    console.log(row(`  (a) ${kind}`, byKind[k]!.indexed));
    console.log(row(`  (a') ${kind}`, byKind[k]!.warm));
    console.log(row(`  (b) ${kind}`, byKind[k]!.scanned));
  }
  console.log(row('edit request (catalog.events.update)', editMs));
  console.log(row('freshness: edit request -> word searchable', fresh));
  console.log(
    `\nratios: b/a p50 = ${fmt(pct(scanned, 50) / pct(indexed, 50), 1)}x   b/a p99 = ${fmt(pct(scanned, 99) / pct(indexed, 99), 1)}x   b/a' p50 = ${fmt(pct(scanned, 50) / pct(warm, 50), 1)}x   b/a' p99 = ${fmt(pct(scanned, 99) / pct(warm, 99), 1)}x\n`,
  );
  const groups = [...new Set(cells.flatMap((c) => [...c.cpu.keys()]))].sort();
  console.log(
    `CPU ms per request, the most common word "${common}" (in ${fmt(commonDf)} of ${fmt(EVENTS)} events), ${LOAD_SECONDS} s per cell${values['cache-terms'] !== undefined ? `, SEARCH_POSTINGS_CACHE_TERMS=${values['cache-terms']}` : ''}:\n`,
  );
  console.log(`| cell | req/s | p50 ms | p99 ms | failed | ${groups.join(' | ')} | all but the bench |`);
  console.log(`|---|---|---|---|---|${groups.map(() => '---|').join('')}---|`);
  for (const c of cells) {
    const all = [...c.cpu].filter(([k]) => !k.startsWith('bench')).reduce((a, [, v]) => a + v, 0);
    console.log(
      `| ${c.label} | ${fmt(c.perSecond)} | ${fmt(c.p50, 1)} | ${fmt(c.p99, 1)} | ${c.failed} | ${groups.map((g) => fmt(c.cpu.get(g) ?? 0, 3)).join(' | ')} | **${fmt(all, 3)}** |`,
    );
  }
  console.log('');
  if (mismatches > 0) process.exitCode = 1;
} finally {
  await rpc.close();
  await nc.drain();
  etcd.close();
  await stopPrivateStack(stack);
}
