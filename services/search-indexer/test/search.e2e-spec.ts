/**
 * Search against real catalog and two search-indexer processes on a private cluster and
 * JetStream. Guards invariant 4 (after faults heal, the index equals a rebuild): 500 random
 * creates, edits and deletes with the indexers killed (kill -9) twice; every catalog event
 * delivered again, twice and out of order; two instances sharing one durable consumer. Also the
 * query contract: word prefixes, filters, ranking, paging, empty queries and bad input (invariant 6).
 */
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { Rpc, type EventFields, type RpcResult } from '@ticketcd/contracts';
import type { EtcdConnection } from '@ticketcd/etcd';
import { keys, prefixes } from '@ticketcd/keys';
import type { NatsConnection, RpcClient } from '@ticketcd/messaging';
import { deployedInstances, startStackWithClients, waitPipelineIdle, type Stack, type StackClients } from '@ticketcd/testing';
import { execFile } from 'node:child_process';
import { ulid } from 'ulid';

const DURABLE = 'search-indexer-catalog';

let clients: StackClients;
let stack: Stack;
let etcd: EtcdConnection;
let rpc: RpcClient;
let nc: NatsConnection;

type Hit = RpcResult<typeof Rpc.search.query>['items'][number];

const event = (over: Partial<EventFields> = {}) => ({
  name: 'Some show',
  description: '',
  location: 'lisbon',
  type: 'concert',
  date: '2027-03-01T20:00:00.000Z',
  maxPerOrder: 4,
  ticketTypes: [{ type: 'pink', total: 10, price: 1000 }],
  ...over,
});

/** Every committed catalog change relayed (outbox empty) and indexed (consumer drained). */
async function caughtUp(): Promise<void> {
  await waitPipelineIdle(etcd, nc, {
    outboxes: ['catalog'],
    consumers: [{ stream: 'CATALOG', durable: DURABLE }],
    timeoutMs: 90_000,
    what: 'catalog changes relayed and indexed',
  });
}

async function search(req: { text?: string; type?: string; location?: string }): Promise<Hit[]> {
  const out: Hit[] = [];
  let cursor: string | undefined;
  do {
    const page = await rpc.call(Rpc.search.query, { ...req, limit: 50, cursor });
    out.push(...page.items);
    cursor = page.nextCursor ?? undefined;
  } while (cursor);
  return out;
}

const names = (hits: Hit[]) => hits.map((h) => h.name);
const indexers = () => stack.services.filter((s) => s.spec.service === 'search-indexer');

beforeAll(async () => {
  clients = await startStackWithClients({
    services: ['catalog', 'search-indexer'],
    instances: deployedInstances(),
    // A killed indexer's unacked message comes back after 3 s instead of 30.
    env: { SEARCH_ACK_WAIT_MS: '3000' },
  });
  ({ stack, etcd, nc } = clients);
  rpc = clients.rpc.client;
  await rpc.call(Rpc.catalog.updateStaticList, { list: 'locations', add: ['london'] });
  await rpc.call(Rpc.catalog.updateStaticList, { list: 'event-types', add: ['conference'] });
}, 120_000);

afterAll(() => clients?.close());

describe('search.query', () => {
  const ids: Record<string, string> = {};
  beforeAll(async () => {
    const specs = {
      rock: event({ name: 'Rock Concert', description: 'Loud guitars all night', location: 'london', date: '2027-05-01T20:00:00.000Z' }),
      conf: event({
        name: 'Cloud Conference',
        description: 'Talks and a rock band at the party',
        type: 'conference',
        date: '2027-04-01T09:00:00.000Z',
      }),
      jazz: event({ name: 'Jazz Night', description: 'Smooth jazz in London town', location: 'london', date: '2027-02-01T21:00:00.000Z' }),
      fado: event({ name: 'Fado ao vivo', description: 'Canção de Lisboa, é tradição', date: '2027-01-15T21:00:00.000Z' }),
    };
    for (const [k, spec] of Object.entries(specs)) ids[k] = (await rpc.call(Rpc.catalog.createEvent, spec)).eventId;
    await caughtUp();
  });

  it('matches word prefixes: "con" finds Concert and Conference, first as they match by name', async () => {
    const hits = names(await search({ text: 'con' }));
    expect(hits.slice(0, 2).sort()).toEqual(['Cloud Conference', 'Rock Concert']);
    // The others are concerts: the type is a word of every event too.
    expect(hits.slice(2).sort()).toEqual(['Fado ao vivo', 'Jazz Night']);
  });

  it('needs every word: "rock lon" finds the rock event in London', async () => {
    expect(names(await search({ text: 'rock lon' }))).toEqual(['Rock Concert']);
  });

  it('combines text with type and location filters', async () => {
    expect(names(await search({ text: 'con', type: 'conference' }))).toEqual(['Cloud Conference']);
    expect(names(await search({ text: 'rock', location: 'london' }))).toEqual(['Rock Concert']);
    expect(names(await search({ text: 'night', location: 'london', type: 'concert' }))).toEqual(['Jazz Night', 'Rock Concert']);
    expect(await search({ text: 'rock', type: 'magic' })).toEqual([]);
    // No words: the filters' own posting lists.
    expect(names(await search({ type: 'concert', location: 'london' }))).toEqual(['Jazz Night', 'Rock Concert']);
    expect(names(await search({ text: '  ', type: 'conference' }))).toEqual(['Cloud Conference']);
  });

  it('ranks words in the name before words in the description, then by date', async () => {
    // "rock": in Rock Concert's name, in the Conference's description.
    expect(names(await search({ text: 'rock' }))).toEqual(['Rock Concert', 'Cloud Conference']);
    // "lon": both London events only by description or location; the sooner first.
    expect(names(await search({ text: 'lon' }))).toEqual(['Jazz Night', 'Rock Concert']);
  });

  it('folds case and accents the same way for queries and documents', async () => {
    expect(names(await search({ text: 'CANCAO tradicao' }))).toEqual(['Fado ao vivo']);
    expect(names(await search({ text: 'lisb' }))).toContain('Fado ao vivo');
  });

  it('each hit carries the event summary', async () => {
    const [hit] = await search({ text: 'jazz' });
    expect(hit).toEqual({
      eventId: ids.jazz,
      version: 1,
      name: 'Jazz Night',
      description: 'Smooth jazz in London town',
      location: 'london',
      type: 'concert',
      date: '2027-02-01T21:00:00.000Z',
      maxPerOrder: 4,
    });
  });

  it('follows edits and deletes', async () => {
    const e = await rpc.call(Rpc.catalog.createEvent, event({ name: 'Magic Marvels' }));
    await caughtUp();
    expect(names(await search({ text: 'marvels' }))).toEqual(['Magic Marvels']);
    await rpc.call(Rpc.catalog.updateEvent, { eventId: e.eventId, expectedVersion: 1, changes: { name: 'Magic Wonders' } });
    await caughtUp();
    expect(await search({ text: 'marvels' })).toEqual([]);
    expect(await search({ text: 'wonders' })).toMatchObject([{ eventId: e.eventId, version: 2, name: 'Magic Wonders' }]);
    await rpc.call(Rpc.catalog.deleteEvent, { eventId: e.eventId });
    await caughtUp();
    expect(await search({ text: 'wonders' })).toEqual([]);
  });

  it('pages with a stable cursor: every hit once, in rank order', async () => {
    const created: string[] = [];
    for (let i = 0; i < 7; i++)
      created.push(
        (await rpc.call(Rpc.catalog.createEvent, event({ name: `Pager show ${i}`, date: `2027-0${i + 1}-10T20:00:00.000Z` }))).eventId,
      );
    await caughtUp();
    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await rpc.call(Rpc.search.query, { text: 'pager', limit: 3, cursor });
      seen.push(...page.items.map((h) => h.eventId));
      cursor = page.nextCursor ?? undefined;
      pages++;
      // A new match between pages sorts before the cursor (sooner date) and does not shift the pages.
      if (pages === 1) await rpc.call(Rpc.catalog.createEvent, event({ name: 'Pager early', date: '2027-01-01T20:00:00.000Z' }));
    } while (cursor);
    expect(pages).toBe(3);
    expect(seen).toEqual(created);
  });

  it('lists upcoming events for an empty or whitespace-only query', async () => {
    for (const text of [undefined, '', '   ', '?!']) {
      const page = await rpc.call(Rpc.search.query, { text, limit: 200 });
      expect(page.items.length).toBeGreaterThanOrEqual(4);
      const dates = page.items.map((h) => h.date);
      expect(dates).toEqual([...dates].sort());
    }
    const london = await rpc.call(Rpc.search.query, { text: ' ', location: 'london', limit: 50 });
    expect(names(london.items)).toEqual(['Jazz Night', 'Rock Concert']);
  });

  it('refuses bad input with a 4xx-class error and a clear message (invariant 6)', async () => {
    await expect(rpc.call(Rpc.search.query, { text: 'rock', cursor: 'not-a-cursor' })).rejects.toMatchObject({
      error: { code: 'BAD_REQUEST', message: 'invalid cursor' },
    });
    await expect(rpc.call(Rpc.search.query, { text: 'x'.repeat(201) })).rejects.toMatchObject({ error: { code: 'BAD_REQUEST' } });
    await expect(rpc.call(Rpc.search.query, { text: 'rock', type: 'Bad:Type' })).rejects.toMatchObject({ error: { code: 'BAD_REQUEST' } });
    await expect(rpc.call(Rpc.search.query, { text: 'rock', limit: 0 })).rejects.toMatchObject({ error: { code: 'BAD_REQUEST' } });
  });
});

describe('index consistency (invariant 4)', () => {
  const VOCAB = [
    'rock',
    'jazz',
    'fado',
    'opera',
    'circus',
    'magic',
    'tango',
    'choir',
    'banda',
    'noite',
    'festival',
    'acoustic',
    'electric',
    'summer',
    'winter',
  ];
  const sentence = (rand: () => number, n: number) => Array.from({ length: n }, () => VOCAB[Math.floor(rand() * VOCAB.length)]).join(' ');

  it('500 random creates, edits and deletes with the indexers killed (kill -9) twice: verify finds no difference', async () => {
    let seed = 7;
    const rand = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const live = new Map<string, number>();
    let created = 0;
    let done = 0;
    const kills: Promise<void>[] = [];
    const op = async () => {
      const r = rand();
      const ids = [...live.keys()];
      if (ids.length < 20 || r < 0.3) {
        // Now and then a description too long for one Txn: the phased path.
        const long =
          rand() < 0.05 ? Array.from({ length: 200 }, (_, i) => `w${i}x${Math.floor(rand() * 1e6)}`).join(' ') : sentence(rand, 8);
        const e = await rpc.call(
          Rpc.catalog.createEvent,
          event({ name: sentence(rand, 3), description: long, location: rand() < 0.5 ? 'lisbon' : 'london' }),
        );
        live.set(e.eventId, e.version);
        created++;
      } else {
        const id = ids[Math.floor(rand() * ids.length)]!;
        const version = live.get(id)!;
        if (r < 0.85) {
          const changes =
            rand() < 0.5 ? { name: sentence(rand, 3) } : { description: sentence(rand, 10), location: rand() < 0.5 ? 'lisbon' : 'london' };
          const e = await rpc.call(Rpc.catalog.updateEvent, { eventId: id, expectedVersion: version, changes }).catch(() => null);
          if (e && live.has(id)) live.set(id, e.version);
        } else {
          live.delete(id);
          await rpc.call(Rpc.catalog.deleteEvent, { eventId: id }).catch(() => null);
        }
      }
      done++;
      // kill -9 while the consumers are busy: both instances at 150, one at 350.
      if (done === 150) kills.push(Promise.all(indexers().map((p) => restartAfterKill(p))).then(() => undefined));
      if (done === 350) kills.push(restartAfterKill(indexers()[1]!));
    };
    const worker = async () => {
      while (done < 500) await op();
    };
    await Promise.all(Array.from({ length: 4 }, worker));
    await Promise.all(kills);
    await caughtUp();
    const report = await rpc.call(Rpc.search.verify, {});
    expect(report.differences).toEqual([]);
    expect(report.differing).toBe(0);
    expect(report.events).toBeGreaterThanOrEqual(created);
  });

  it('every catalog event delivered again, twice and out of order, leaves the index equal to a rebuild', async () => {
    const js = jetstream(nc);
    const jsm = await jetstreamManager(nc);
    const info = await jsm.streams.info('CATALOG');
    const messages: { subject: string; data: Uint8Array }[] = [];
    for (let seq = info.state.first_seq; seq <= info.state.last_seq; seq++) {
      const m = await jsm.streams.getMessage('CATALOG', { seq }).catch(() => null);
      if (m) messages.push({ subject: m.subject, data: m.data });
    }
    expect(messages.length).toBeGreaterThan(300);
    // Newest first, then a shuffle: every change arrives after (and before) its successors.
    const shuffled = [...messages].sort(() => Math.random() - 0.5);
    for (const m of [...messages.reverse(), ...shuffled]) await js.publish(m.subject, m.data, { msgID: ulid() });
    await caughtUp();
    const report = await rpc.call(Rpc.search.verify, {});
    expect(report.differences).toEqual([]);
    // Both instances took part (one durable consumer, shared work).
    for (const p of indexers()) expect(await handled(p.url)).toBeGreaterThan(0);
  });

  it('rebuild repairs a damaged index and verify shows exactly the damage first', async () => {
    const e = await rpc.call(Rpc.catalog.createEvent, event({ name: 'Damaged Goods', description: 'broken index' }));
    await caughtUp();
    const lost = keys.search('text', 'damaged', e.eventId);
    const stray = keys.search('text', 'phantom', e.eventId);
    const wrong = keys.search('text', 'goods', e.eventId);
    await etcd.kv.delete().key(lost).exec();
    await etcd.kv.put(stray).value('{"n":1}').exec();
    await etcd.kv.put(wrong).value('{"n":0}').exec();
    await etcd.kv.put(`${prefixes.search()}garbage`).value('x').exec();
    const before = await rpc.call(Rpc.search.verify, {});
    expect(before.differences).toEqual(
      [
        { key: `${prefixes.search()}garbage`, live: 'x', expected: null },
        { key: stray, live: '{"n":1}', expected: null },
        { key: lost, live: null, expected: '{"n":1}' },
        { key: wrong, live: '{"n":0}', expected: '{"n":1}' },
      ].sort((a, b) => (a.key < b.key ? -1 : 1)),
    );
    const dry = await rpc.call(Rpc.search.rebuild, { dryRun: true });
    expect(dry).toMatchObject({ differing: 4, repairedEvents: 0 });
    expect((await rpc.call(Rpc.search.verify, {})).differing).toBe(4);
    // The admin commands (npm run search:verify / search:rebuild) against this stack.
    const verified = await cli('search-verify');
    expect(verified.code).toBe(1);
    expect(verified.stdout).toContain('4 differ from a rebuild');
    expect(verified.stdout).toContain(`${stray}\n    live:     {"n":1}\n    expected: (absent)`);
    const rebuilt = await cli('search-rebuild');
    expect(rebuilt).toMatchObject({ code: 0, stdout: expect.stringContaining('repaired 1 event(s)') });
    expect((await rpc.call(Rpc.search.verify, {})).differences).toEqual([]);
    expect(await cli('search-verify')).toMatchObject({ code: 0, stdout: expect.stringContaining('; 0 differ from a rebuild') });
    expect(names(await search({ text: 'damaged' }))).toEqual(['Damaged Goods']);
  });
});

/** The stack CLI, as `npm run search:verify` runs it, pointed at this test's stack. */
function cli(command: string): Promise<{ code: number; stdout: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['libs/tooling/stack/dist/cli.js', command, '--dir', stack.opts.dir], { timeout: 60_000 }, (err, stdout) =>
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout }),
    );
  });
}

async function restartAfterKill(p: ReturnType<typeof indexers>[number]): Promise<void> {
  await p.stop('SIGKILL');
  p.start();
  await p.waitReady(60_000);
}

/** JetStream messages this instance acked, from its /metrics. */
async function handled(url: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const line = text
    .split('\n')
    .find((l) => l.startsWith('ticketcd_jetstream_messages_total') && l.includes(`durable="${DURABLE}"`) && l.includes('outcome="acked"'));
  return line ? Number(line.split(' ').pop()) : 0;
}
