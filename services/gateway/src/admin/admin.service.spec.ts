// Issue 26.3: the gateway asks the owner of a key for its history (over NATS) and walks only its
// own keys itself; bad and secret keys are refused before anyone is asked. The walk itself is
// covered by libs/shared/platform/src/key-history.spec.ts, the real thing by test/admin.e2e-spec.ts.
import { KEY_HISTORY_RPCS, Rpc, type RpcDef } from '@ticketcd/contracts';
import type { KeyHistory } from '@ticketcd/platform';
import type { GatewayConfig } from '../gateway.config.js';
import type { Forwarder } from '../http/forwarder.js';
import type { SystemService } from '../system/system.service.js';
import type { AdminRepository } from './admin.repository.js';
import { AdminService } from './admin.service.js';

const ID = '01JD6Z8Q1V6N4X2K7T3R5M9B0C';
const ID2 = '01JD6Z8Q1V6N4X2K7T3R5M9B0D';

function admin(exists = true) {
  const calls: { subject: string; payload: unknown }[] = [];
  const local: unknown[] = [];
  const forward = {
    async call(def: RpcDef, payload: unknown) {
      calls.push({ subject: def.subject, payload });
      return def === Rpc.catalog.eventExists ? { exists, deleted: false } : { key: 'from-owner' };
    },
  };
  const keys = {
    async history(req: unknown) {
      local.push(req);
      return { key: 'from-gateway' };
    },
  };
  const service = new AdminService(
    {} as AdminRepository,
    forward as unknown as Forwarder,
    {} as SystemService,
    { ETCD_QUOTA_BYTES: 2 ** 31 } as GatewayConfig,
    keys as unknown as KeyHistory,
  );
  return { service, calls, local };
}

describe('AdminService.keyHistory routes each key to the service that owns it (issue 26.3)', () => {
  it.each([
    [`event:${ID}`, 'catalog.keys.history'],
    [`favcount:${ID}`, 'catalog.keys.history'],
    ['static:locations', 'catalog.keys.history'],
    // Written by catalog and inventory: the first writer in SERVICE_NAMES.
    [`ticket:${ID}:pink`, 'catalog.keys.history'],
    [`sale:${ID}:${ID2}`, 'inventory.keys.history'],
    ['partition:inventory:01', 'inventory.keys.history'],
    // Both write partition:; the key names its service.
    ['partition:notifier:01', 'notifier.keys.history'],
    [`order:ana:${ID}`, 'inventory.keys.history'],
    [`purchase:ana:${ID}:${ID2}`, 'orders.keys.history'],
    [`stats:${ID}`, 'orders.keys.history'],
    [`search:meta:${ID}`, 'search.keys.history'],
    [`alert:ana:${ID}`, 'notifier.keys.history'],
    [`notification:ana:${ID}`, 'notifier.keys.history'],
    ['svc:orders:i-1', 'orders.keys.history'],
    [`outbox:inventory:${ID}`, 'inventory.keys.history'],
    [`outbox-quarantine:search-indexer:${ID}`, 'search.keys.history'],
  ])('%s -> %s', async (key, subject) => {
    const { service, calls, local } = admin();
    expect(await service.keyHistory(key, 5, 77)).toEqual({ key: 'from-owner' });
    expect(calls).toEqual([{ subject, payload: { key, limit: 5, revision: 77 } }]);
    expect(local).toEqual([]);
  });

  it("walks the gateway's own keys itself, with no call", async () => {
    for (const key of ['svc:gateway:i-1', `outbox:gateway:${ID}`, `outbox-quarantine:gateway:${ID}`]) {
      const { service, calls, local } = admin();
      expect(await service.keyHistory(key, 20)).toEqual({ key: 'from-gateway' });
      expect([calls, local]).toEqual([[], [{ key, limit: 20 }]]);
    }
  });

  it('every service but the gateway answers key history', () => {
    expect(Object.keys(KEY_HISTORY_RPCS).sort()).toEqual(['catalog', 'inventory', 'notifier', 'orders', 'search-indexer']);
  });

  it('400 for a key that does not parse, 403 for user: and session:, 404 for a prefix no service writes: nobody asked', async () => {
    const { service, calls, local } = admin();
    await expect(service.keyHistory('bogus:1', 20)).rejects.toMatchObject({ error: { code: 'BAD_REQUEST', fields: [{ path: 'key' }] } });
    await expect(service.keyHistory('user:ana', 20)).rejects.toMatchObject({ error: { code: 'FORBIDDEN' } });
    await expect(service.keyHistory(`session:${'0'.repeat(64)}`, 20)).rejects.toMatchObject({ error: { code: 'FORBIDDEN' } });
    await expect(service.keyHistory('svc:billing:i-1', 20)).rejects.toMatchObject({ body: { status: 404 } });
    expect([calls, local]).toEqual([[], []]);
  });
});

describe('AdminService stats and sales ask the catalog whether the event exists (issue 26.3: no event: read)', () => {
  it('404 for an event never created; else the figures from orders', async () => {
    const none = admin(false);
    await expect(none.service.stats(ID)).rejects.toMatchObject({ body: { status: 404 } });
    expect(none.calls.map((c) => c.subject)).toEqual(['catalog.events.exists']);
    const some = admin(true);
    await some.service.eventSales(ID, { limit: 10 });
    expect(some.calls.map((c) => c.subject)).toEqual(['catalog.events.exists', 'orders.event-sales']);
  });
});
