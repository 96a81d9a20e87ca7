/**
 * A search rebuild racing live edits converges (issue 13, point 5; invariant 4): rebuild repairs
 * each event through the same meta-fenced plan the consumer uses (phased past 128 ops), so
 * whichever writer wins, no stale posting is left behind. 10 events, each edit replacing ~150
 * words (every change is a phased, multi-Txn one), 200 edits through catalog while rebuilds run,
 * then, once the indexers drained, verify finds no difference.
 */
import { Rpc } from '@ticketcd/contracts';
import { keys } from '@ticketcd/keys';
import { deployedInstances, startStackWithClients, waitPipelineIdle, type StackClients } from '@ticketcd/testing';

const DURABLE = 'search-indexer-catalog';
const EVENTS = 10;
const EDITS_PER_EVENT = 20;
const WORDS = 150;
/** Bounds the edits when rebuilds are slow. */
const MAX_VERSION = 80;

let clients: StackClients;

beforeAll(async () => {
  clients = await startStackWithClients({
    services: ['catalog', 'search-indexer'],
    instances: deployedInstances(),
    // A shared 2-core CI machine: room for the snapshot reads, and fewer fenced retries at once.
    env: { ETCD_DEADLINE_MS: '5000', SEARCH_CONCURRENCY: '4' },
  });
}, 120_000);

afterAll(() => clients?.close());

async function caughtUp(): Promise<void> {
  const { etcd, nc } = clients;
  await waitPipelineIdle(etcd, nc, {
    outboxes: ['catalog'],
    consumers: [{ stream: 'CATALOG', durable: DURABLE }],
    timeoutMs: 120_000,
    what: 'catalog changes relayed and indexed',
  });
}

/** ~150 words no other version of any event uses, so each edit moves ~300 postings. */
const description = (e: number, v: number) => Array.from({ length: WORDS }, (_, i) => `e${e}v${v}w${i}`).join(' ');

describe('search rebuild racing live edits', () => {
  it('rebuild while 200 concurrent edits go on, then verify shows no difference', async () => {
    const rpc = clients.rpc.client;
    const ids: string[] = [];
    for (let e = 0; e < EVENTS; e++) {
      const created = await rpc.call(Rpc.catalog.createEvent, {
        name: `Race ${e}`,
        description: description(e, 1),
        location: 'lisbon',
        type: 'concert',
        date: '2027-06-01T20:00:00.000Z',
        maxPerOrder: 4,
        ticketTypes: [{ type: 'pink', total: 10, price: 1000 }],
      });
      ids.push(created.eventId);
    }
    await caughtUp();
    // Damage the rebuild must repair while the edits go on (done mid-edits, below): an unlisted
    // stray posting and a lost one, neither of which the consumer's diffs would ever touch.
    const damage = async (id: string) => {
      await clients.etcd.kv.put(keys.search('text', 'strayword', id)).value('{"n":0}');
      await clients.etcd.kv.delete().key(keys.search('text', 'race', id));
    };

    // Edits go on until each event had its 20 and two rebuilds ran whole after the damage, so
    // the rebuilds surely raced the edits (on a loaded machine a rebuild can take seconds).
    let editing = true;
    let damaged = 0;
    let rebuildsAfterDamage = 0;
    let repaired = 0;
    const rebuilding = (async () => {
      while (editing) {
        const startedAfterDamage = damaged === 3;
        const r = await rpc.request(Rpc.search.rebuild, { dryRun: false });
        if (!r.ok) continue; // e.g. an etcd deadline under load: try again
        repaired += r.data.repairedEvents;
        if (startedAfterDamage && editing) rebuildsAfterDamage++;
      }
    })();
    let edits = 0;
    const editing$ = ids.map(async (eventId, e) => {
      for (let v = 2; v <= EDITS_PER_EVENT + 1 || (rebuildsAfterDamage < 2 && v <= MAX_VERSION); v++) {
        await rpc.call(Rpc.catalog.updateEvent, {
          eventId,
          expectedVersion: v - 1,
          changes: { description: description(e, v), ...(v % 3 === 0 ? { name: `Race ${e} take ${v}` } : {}) },
        });
        edits++;
        if (e < 3 && v === 5) {
          await damage(eventId);
          damaged++;
        }
      }
    });
    try {
      await Promise.all(editing$);
    } finally {
      editing = false;
      await rebuilding;
    }
    expect(edits).toBeGreaterThanOrEqual(EVENTS * EDITS_PER_EVENT);
    expect(rebuildsAfterDamage).toBeGreaterThanOrEqual(2);
    expect(repaired).toBeGreaterThan(0);

    await caughtUp();
    const report = await rpc.call(Rpc.search.verify, {});
    expect(report.differences).toEqual([]);
    expect(report.differing).toBe(0);
    expect(report.events).toBe(EVENTS);
  });
});
