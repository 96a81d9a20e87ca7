/**
 * Issue 27 (search from memory): the search-indexer's watch-fed postings cache, on a private
 * five-member cluster, two catalog and two indexer instances (as deployed). With the query's
 * ranges already held by both indexers, a new, an edited and a deleted event show in the search
 * (waited for), the answer then comes from memory (the indexers' counters: ten queries in a row,
 * none reading etcd) and equals an uncached read: the postings and metas read from etcd at one
 * revision by this test, intersected and ranked by the service's own pure functions.
 */
import { Rpc, type RpcResult } from '@ticketcd/contracts';
import { unconditionalTxn, localKey, type EtcdConnection } from '@ticketcd/etcd';
import { prefixes } from '@ticketcd/keys';
import type { NatsConnection, RpcClient } from '@ticketcd/messaging';
import { decodeMeta, tokenize } from '@ticketcd/search-text';
import { deployedInstances, startStackWithClients, waitFor, waitPipelineIdle, type Stack, type StackClients } from '@ticketcd/testing';
import { ulid } from 'ulid';
import { compareRank, hitsOf, intersect, rangesOf, rankKey, type RankKey } from '../src/query/ranking.js';

const DURABLE = 'search-indexer-catalog';

let clients: StackClients;
let stack: Stack;
let etcd: EtcdConnection;
let nc: NatsConnection;
let rpc: RpcClient;

const event = (name: string, description = '') => ({
  name,
  description,
  location: 'lisbon',
  type: 'concert',
  date: '2030-03-01T20:00:00.000Z',
  maxPerOrder: 4,
  ticketTypes: [{ type: 'pink', total: 10, price: 1000 }],
});

beforeAll(async () => {
  clients = await startStackWithClients({ services: ['catalog', 'search-indexer'], instances: deployedInstances() });
  ({ stack, etcd, nc } = clients);
  rpc = clients.rpc.client;
}, 120_000);

afterAll(() => clients?.close());

async function caughtUp(): Promise<void> {
  await waitPipelineIdle(etcd, nc, {
    outboxes: ['catalog'],
    consumers: [{ stream: 'CATALOG', durable: DURABLE }],
    timeoutMs: 90_000,
    what: 'catalog changes relayed and indexed',
  });
}

/** Every hit's id, in rank order, all pages (the service). */
async function served(text: string): Promise<string[]> {
  const out: string[] = [];
  let cursor: string | undefined;
  do {
    const page: RpcResult<typeof Rpc.search.query> = await rpc.call(Rpc.search.query, { text, limit: 50, cursor });
    out.push(...page.items.map((h) => h.eventId));
    cursor = page.nextCursor ?? undefined;
  } while (cursor);
  return out;
}

/** The same query without any cache: postings and metas read from etcd at one revision, ranked as the service ranks. */
async function uncached(text: string): Promise<string[]> {
  const words = tokenize(text);
  const ranges = rangesOf({ words: [...new Set(words.slice(0, -1))], prefix: words.at(-1)! });
  const ns = etcd.kv;
  const res = await unconditionalTxn(ns)
    .then(...[...ranges.map((r) => r.prefix), prefixes.searchMeta()].map((p) => ns.getAll().prefix(p)))
    .commit();
  const kvs = res.responses.map((r) =>
    (r.response_range?.kvs ?? []).map((kv) => ({ key: localKey(etcd, kv.key), value: kv.value.toString() })),
  );
  const metas = new Map(kvs.at(-1)!.map(({ key, value }) => [key.slice(prefixes.searchMeta().length), decodeMeta(value)]));
  const scores = intersect(ranges.map((r, i) => ({ hits: hitsOf(kvs[i]!), text: r.text })));
  const now = new Date().toISOString();
  const ranked: { key: RankKey; id: string }[] = [];
  for (const [id, score] of scores) {
    const fields = metas.get(id)?.fields;
    if (fields) ranked.push({ key: rankKey(score, id, fields.date, now), id });
  }
  return ranked.sort((a, b) => compareRank(a.key, b.key)).map((r) => r.id);
}

/** The indexers' counters of where queries' postings came from, summed over the instances. */
async function sources(): Promise<{ memory: number; loaded: number; etcd: number; restarts: number }> {
  const out = { memory: 0, loaded: 0, etcd: 0, restarts: 0 };
  for (const s of stack.services.filter((x) => x.spec.service === 'search-indexer')) {
    const text = await (await fetch(`${s.url}/metrics`)).text();
    const read = (name: string) => Number(new RegExp(`^${name}(?:\\{[^}]*\\})? ([0-9.e+-]+)$`, 'm').exec(text)?.[1] ?? NaN);
    // From memory: postings held, or the whole page kept (nothing it depends on changed since).
    out.memory += read('ticketcd_search_postings_queries_memory') + read('ticketcd_search_pages_cached');
    out.loaded += read('ticketcd_search_postings_queries_loaded');
    out.etcd += read('ticketcd_search_postings_queries_etcd');
    out.restarts += read('ticketcd_search_postings_cache_restarts');
  }
  return out;
}

/** Waits until the service's answer equals the uncached read's and `expect`s, then proves ten more in a row come from memory. */
async function reflects(text: string, check: (ids: string[]) => boolean, what: string): Promise<string[]> {
  let ids: string[] = [];
  await waitFor(
    async () => {
      ids = await served(text);
      return check(ids) && JSON.stringify(ids) === JSON.stringify(await uncached(text));
    },
    { timeoutMs: 30_000, intervalMs: 50, what },
  );
  for (let attempt = 0; ; attempt++) {
    const before = await sources();
    const answers = await Promise.all(Array.from({ length: 10 }, () => served(text)));
    const after = await sources();
    // A feed restart (a watch reconnect on a loaded machine) drops the cache: measure again.
    if (after.restarts !== before.restarts && attempt < 3) continue;
    for (const a of answers) expect(a).toEqual(ids);
    expect({ memory: after.memory - before.memory, loaded: after.loaded - before.loaded, etcd: after.etcd - before.etcd }).toEqual({
      memory: 10,
      loaded: 0,
      etcd: 0,
    });
    return ids;
  }
}

describe('search postings cache (issue 27)', () => {
  it('reflects a new, an edited and a deleted event while answering from memory, as an uncached read does', async () => {
    const tag = ulid().toLowerCase().slice(-8);
    const [w1, w2] = [`zq${tag}`, `zr${tag}`];
    // Background: events sharing a common word, so "show" is a range with several postings.
    for (let i = 0; i < 6; i++) await rpc.call(Rpc.catalog.createEvent, event(`Night show ${tag} ${i}`, i % 2 ? 'a show by night' : ''));
    await caughtUp();
    const queries = [w1, w2, `show ${w1.slice(0, 4)}`, 'show', w1.slice(0, 5)];
    // Warm both instances (queue group: each query lands on either): every range held by both.
    for (const q of queries) for (let i = 0; i < 20; i++) await served(q);
    for (const q of queries) await reflects(q, () => true, `"${q}" as uncached before any change`);
    const showBefore = await served('show');
    expect(showBefore).toHaveLength(6);

    const e = await rpc.call(Rpc.catalog.createEvent, event(`Grand ${w1} show`));
    await reflects(w1, (ids) => ids.join() === e.eventId, 'the new event found by its word');
    await reflects(w1.slice(0, 5), (ids) => ids.includes(e.eventId), 'the new event found by a prefix of its word');
    await reflects(`show ${w1.slice(0, 4)}`, (ids) => ids.join() === e.eventId, 'the new event found by two words');
    await reflects('show', (ids) => ids.length === 7 && ids.includes(e.eventId), 'the new event found for "show"');

    await rpc.call(Rpc.catalog.updateEvent, { eventId: e.eventId, expectedVersion: e.version, changes: { name: `Grand ${w2} gala` } });
    await reflects(w1, (ids) => ids.length === 0, 'the edited event no longer found by its old word');
    await reflects(w2, (ids) => ids.join() === e.eventId, 'the edited event found by its new word');
    await reflects('show', (ids) => ids.length === 6 && !ids.includes(e.eventId), 'the edited event out of "show"');

    await rpc.call(Rpc.catalog.deleteEvent, { eventId: e.eventId });
    await reflects(w2, (ids) => ids.length === 0, 'the deleted event gone');
    expect(await reflects('show', (ids) => ids.length === 6, '"show" as before')).toEqual(showBefore);
  }, 240_000);
});
