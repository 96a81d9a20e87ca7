/**
 * Issue 25 point 6: an order held by an inventory instance that dies is sent again within the
 * budget, never twice for nothing. Invariant 3 holds whatever is resent (the sale: key); these
 * tests pin the rule: when it resends, and when it waits.
 */
import { AppError, type Rpc, type RpcReply, type RpcRequest, type RpcResult } from '@ticketcd/contracts';
import { PROBE_MS, routePurchase, SUSPECT_MS, type ProbeResult, type RouterTransport } from './inventory.router.js';

type Outcome = RpcResult<typeof Rpc.inventory.purchase>;
const order: RpcRequest<typeof Rpc.inventory.purchase> = {
  orderId: '01JZ0000000000000000000001',
  username: 'ana',
  eventId: '01JZ0000000000000000000002',
  lines: [{ type: 'pink', quantity: 1 }],
  firstSend: true,
};
const accepted = { status: 'accepted', orderId: order.orderId } as unknown as Outcome;
const never = () => new Promise<RpcReply<Outcome>>(() => undefined);
const after = (ms: number, reply: RpcReply<Outcome>) => new Promise<RpcReply<Outcome>>((r) => setTimeout(() => r(reply), ms));

function transport(sends: ((plain: boolean) => Promise<RpcReply<Outcome>>)[], probes: (() => ProbeResult)[]) {
  const log: string[] = [];
  const t: RouterTransport = {
    send: (_o, plain) => {
      log.push(plain ? 'plain' : 'partition');
      const next = sends.shift();
      return next ? next(plain) : never();
    },
    probe: async () => {
      log.push('probe');
      return (probes.shift() ?? (() => 'unknown' as const))();
    },
  };
  return { t, log, probeOf: (p: number) => t.probe(p) };
}

it('an answer in time: one send, no probe', async () => {
  const { t, log, probeOf } = transport([() => after(10, { ok: true, data: accepted })], []);
  expect(await routePurchase(t, order, 3000, probeOf)).toBe(accepted);
  expect(log).toEqual(['partition']);
});

it('nobody listens any more (the owner died with the order): resent on the plain subject at once', async () => {
  const { t, log, probeOf } = transport([never, () => after(5, { ok: true, data: accepted })], [() => 'nobody']);
  const started = Date.now();
  expect(await routePurchase(t, order, 4000, probeOf)).toBe(accepted);
  expect(log).toEqual(['partition', 'probe', 'plain']);
  expect(Date.now() - started).toBeLessThan(SUSPECT_MS + 500);
});

it('a listener that started after the send (a stand-in): resent on the partition', async () => {
  const { t, log, probeOf } = transport(
    [never, () => after(5, { ok: true, data: accepted })],
    [() => ({ listeningSince: Date.now() - 100 })],
  );
  expect(await routePurchase(t, order, 4000, probeOf)).toBe(accepted);
  expect(log).toEqual(['partition', 'probe', 'partition']);
});

it('the same listener all along (slow, not dead): waits for its answer, sends nothing twice', async () => {
  const { t, log, probeOf } = transport(
    [() => after(SUSPECT_MS + 2 * PROBE_MS + 100, { ok: true, data: accepted })],
    [() => ({ listeningSince: 0 }), () => ({ listeningSince: 0 }), () => ({ listeningSince: 0 })],
  );
  expect(await routePurchase(t, order, 4000, probeOf)).toBe(accepted);
  expect(log.filter((l) => l !== 'probe')).toEqual(['partition']);
});

it('a probe that times out proves nothing: no resend', async () => {
  const { t, log, probeOf } = transport([() => after(SUSPECT_MS + 400, { ok: true, data: accepted })], [() => 'unknown', () => 'unknown']);
  expect(await routePurchase(t, order, 4000, probeOf)).toBe(accepted);
  expect(log.filter((l) => l !== 'probe')).toEqual(['partition']);
});

it('no responders on the partition subject: the plain subject, as before', async () => {
  const noResponders: RpcReply<Outcome> = {
    ok: false,
    error: AppError.unavailable('inventory', 'inventory is unavailable: no running instance answers inventory.purchase.p3').error,
  };
  const { t, log, probeOf } = transport([() => after(1, noResponders), () => after(1, { ok: true, data: accepted })], []);
  expect(await routePurchase(t, order, 3000, probeOf)).toBe(accepted);
  expect(log).toEqual(['partition', 'plain']);
});

it('a send that fails transiently while another is still out: the other one answers', async () => {
  const retry: RpcReply<Outcome> = { ok: false, error: AppError.unavailable('inventory', 'retry with the same orderId').error };
  const { t, probeOf } = transport(
    [() => after(SUSPECT_MS + 200, retry), () => after(400, { ok: true, data: accepted })],
    [() => ({ listeningSince: Date.now() })],
  );
  expect(await routePurchase(t, order, 4000, probeOf)).toBe(accepted);
});

it('nothing answers within the budget: the last failure (a timeout) is thrown', async () => {
  const timeout: RpcReply<Outcome> = { ok: false, error: AppError.timeout('inventory', 'inventory did not answer').error };
  const { t, probeOf } = transport([() => after(300, timeout)], []);
  await expect(routePurchase(t, order, 300, probeOf)).rejects.toMatchObject({ error: { code: 'TIMEOUT' } });
});
