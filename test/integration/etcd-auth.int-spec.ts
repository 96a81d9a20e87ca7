/**
 * Issue 15, etcd roles: `etcd-auth apply` is idempotent against a real five-member etcd 3.5
 * (private: it turns auth on, which the shared test cluster must not see). Run twice it changes
 * nothing the second time; a permission or role added by hand is revoked by the next run; a
 * wrong root password is refused with its own exit code.
 */
import { createEtcdConnection, type EtcdConnection } from '@ticketcd/etcd';
import { roleGrants, SERVICE_NAMES, type ServiceName } from '@ticketcd/keys';
import { startPrivateStack, stopPrivateStack, type Stack } from '@ticketcd/testing';
import { Range } from 'etcd3';
import { applyEtcdAuth, EtcdAuthSetupError, type ApplyOptions } from '@ticketcd/deploy';

let stack: Stack;
let root: EtcdConnection | undefined;
const passwords = Object.fromEntries(SERVICE_NAMES.map((s) => [s, `pw-${s}-1`])) as Record<ServiceName, string>;
let opts: ApplyOptions;

beforeAll(async () => {
  stack = await startPrivateStack({ services: false });
  opts = { endpoints: stack.etcd.endpoints, rootPassword: 'root-pw', passwords, deadlineMs: 3000 };
}, 120_000);

afterAll(async () => {
  root?.close();
  await stopPrivateStack(stack);
});

/** A role's permissions as `Readwrite ticket:` lines, sorted. */
async function permissionsOf(conn: EtcdConnection, role: string): Promise<string[]> {
  const res = await conn.client.auth.roleGet({ role }, conn.deadline());
  return res.perm
    .map((p) => {
      const prefix = Range.prefix(p.key);
      expect(p.range_end.equals(prefix.end)).toBe(true);
      return `${String(p.permType)} ${p.key.toString()}`;
    })
    .sort();
}

const expected = (service: ServiceName) =>
  roleGrants(service)
    .map((g) => `${g.permission === 'read' ? 'Read' : 'Readwrite'} ${g.prefix}`)
    .sort();

describe('etcd-auth apply (issue 15)', () => {
  it('sets up root, one role and user per service with exactly the table, and enables auth', async () => {
    const first = await applyEtcdAuth(opts);
    expect(first.wasEnabled).toBe(false);
    expect(first.rootCreated).toBe(true);
    expect(first.roles.every((r) => r.userCreated && r.granted.length > 0 && r.revoked.length === 0)).toBe(true);

    root = createEtcdConnection({ endpoints: stack.etcd.endpoints, deadlineMs: 3000, auth: { username: 'root', password: 'root-pw' } });
    for (const s of SERVICE_NAMES) {
      expect(await permissionsOf(root, s)).toEqual(expected(s));
      expect((await root.client.auth.userGet({ name: s }, root.deadline())).roles).toEqual([s]);
    }
    // Auth is on: a client without a user is refused.
    const anonymous = createEtcdConnection({ endpoints: stack.etcd.endpoints, deadlineMs: 3000 });
    await expect(anonymous.kv.put('user:x').value('1').exec()).rejects.toThrow(/user name is empty|permission denied/);
    anonymous.close();
  });

  it("the internet-facing gateway's user cannot read other services' keys (order:, sale:, ticket:, event:, alert: ...), only svc: beyond its own (issue 26.3)", async () => {
    const gateway = createEtcdConnection({
      endpoints: stack.etcd.endpoints,
      deadlineMs: 3000,
      auth: { username: 'gateway', password: passwords.gateway },
    });
    try {
      const read = (key: string) =>
        gateway.kv
          .get(key)
          .exec()
          .then(
            () => 'ok',
            (e: Error) => (/etcdserver: permission denied/.test(e.message) ? 'denied' : e.message),
          );
      const readPrefix = (prefix: string) =>
        gateway.kv
          .getAll()
          .prefix(prefix)
          .keys()
          .then(
            () => 'ok',
            (e: Error) => (/etcdserver: permission denied/.test(e.message) ? 'denied' : e.message),
          );
      // Orders', inventory's, the catalog's, the notifier's and search's keys: the admin key
      // history asks those services now, so the gateway's role no longer reads them.
      const others = [
        'order:',
        'purchase:',
        'stats:',
        'sale:',
        'ticket:',
        'partition:',
        'event:',
        'static:',
        'favourite:',
        'alert:',
        'notification:',
        'subscriber:',
        'search:',
        'outbox:orders:',
        'outbox-quarantine:inventory:',
      ];
      // Its own: accounts and sessions, its outbox, and the live instances it lists (svc:).
      const own = ['user:', 'session:', 'svc:', 'svc:gateway:', 'outbox:gateway:'];
      const got: Record<string, string> = {};
      for (const p of [...others, ...own]) got[p] = `${await read(`${p}probe`)} / ${await readPrefix(p)}`;
      expect(got).toEqual({
        ...Object.fromEntries(others.map((p) => [p, 'denied / denied'])),
        ...Object.fromEntries(own.map((p) => [p, 'ok / ok'])),
      });
    } finally {
      gateway.close();
    }
  });

  it('run again (auth on) changes nothing', async () => {
    const again = await applyEtcdAuth(opts);
    expect(again.wasEnabled).toBe(true);
    expect(again.rootCreated).toBe(false);
    expect(again.roles.map((r) => [r.service, r.granted, r.revoked, r.userCreated])).toEqual(SERVICE_NAMES.map((s) => [s, [], [], false]));
  });

  it('revokes a stray permission and a stray role, and sets a changed password', async () => {
    const orders = root!.client.auth;
    const stray = Range.prefix('alert:');
    await orders.roleGrantPermission(
      { name: 'orders', perm: { permType: 'Read', key: stray.start, range_end: stray.end } },
      root!.deadline(),
    );
    // A narrowed type on one of its own prefixes is a difference too.
    const sale = Range.prefix('sale:');
    await orders.roleGrantPermission(
      { name: 'orders', perm: { permType: 'Readwrite', key: sale.start, range_end: sale.end } },
      root!.deadline(),
    );
    await orders.userGrantRole({ user: 'orders', role: 'catalog' }, root!.deadline());
    expect(await permissionsOf(root!, 'orders')).toContain('Read alert:');

    const next = await applyEtcdAuth({ ...opts, passwords: { ...passwords, orders: 'pw-orders-2' } });
    const change = next.roles.find((r) => r.service === 'orders')!;
    expect(change.revoked.sort()).toEqual(['read alert:*', 'readwrite sale:*']);
    expect(change.granted).toEqual(['read sale:*']);
    expect(await permissionsOf(root!, 'orders')).toEqual(expected('orders'));
    expect((await root!.client.auth.userGet({ name: 'orders' }, root!.deadline())).roles).toEqual(['orders']);

    // The new password works, the old one no longer does.
    const asOrders = (password: string) =>
      createEtcdConnection({ endpoints: stack.etcd.endpoints, deadlineMs: 3000, auth: { username: 'orders', password } });
    const good = asOrders('pw-orders-2');
    await good.kv.put('purchase:x:ev-1:01JDQ3Z6X8M2N4P6R8T0V2W4Y6').value('{}').exec();
    good.close();
    const old = asOrders('pw-orders-1');
    await expect(old.kv.get('purchase:x').exec()).rejects.toThrow(/authentication failed/);
    old.close();
  });

  it('refuses a wrong root password with exit code 77 and does not print it', async () => {
    const err = await applyEtcdAuth({ ...opts, rootPassword: 'not-the-root-pw' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(EtcdAuthSetupError);
    expect((err as EtcdAuthSetupError).exitCode).toBe(77);
    expect((err as Error).message).toMatch(/refused the root user: wrong ETCD_ROOT_PASSWORD/);
    expect((err as Error).message).not.toContain('not-the-root-pw');
  });
});
