/**
 * Issue 15, etcd roles: `etcd-auth apply` is idempotent against a real five-member etcd 3.5
 * (private: it turns auth on, which the shared test cluster must not see). Run twice it changes
 * nothing the second time; a permission or role added by hand is revoked by the next run; a
 * wrong root password is refused with its own exit code.
 * Issue 29.1: a re-run invalidates no token (no password is set that still logs in); across an
 * upgrade the old table's permissions stay while an instance of it runs (its svc: key) and go
 * once it is gone.
 */
import { createEtcdConnection, type EtcdConnection } from '@ticketcd/etcd';
import { grantsHash, roleGrants, SERVICE_NAMES, type PrefixGrant, type ServiceName } from '@ticketcd/keys';
import { startPrivateStack, stopPrivateStack, waitFor, type Stack } from '@ticketcd/testing';
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

/** A connection as a service's user, counting the tokens it asks etcd for (etcd3 asks again when its token is dropped). */
function asService(service: ServiceName, password = passwords[service]): { conn: EtcdConnection; logins: () => number } {
  const conn = createEtcdConnection({ endpoints: stack.etcd.endpoints, deadlineMs: 3000, auth: { username: service, password } });
  const authenticator = (
    conn.client as unknown as { pool: { authenticator: { getCredentialsFromHost: (...a: unknown[]) => Promise<string> } } }
  ).pool.authenticator;
  const original = authenticator.getCredentialsFromHost.bind(authenticator);
  let logins = 0;
  authenticator.getCredentialsFromHost = (...a: unknown[]) => {
    logins++;
    return original(...a);
  };
  return { conn, logins: () => logins };
}

const authRevision = async () => String((await root!.client.auth.authStatus(root!.deadline())).authRevision);

/** The current table, and an "old" one whose orders role also read alert: (which the new one drops). */
const newTable = Object.fromEntries(SERVICE_NAMES.map((s) => [s, roleGrants(s)])) as Record<ServiceName, PrefixGrant[]>;
const oldTable = { ...newTable, orders: [...newTable.orders, { prefix: 'alert:', permission: 'read' as const }] };

/** What a service instance's Lifecycle puts under svc:, on a lease of its own. */
async function liveInstance(service: ServiceName, instanceId: string, grants: string | undefined) {
  const lease = root!.client.lease(60);
  await lease
    .put(`svc:${service}:${instanceId}`)
    .value(JSON.stringify({ service, instanceId, version: 'x', grants }))
    .exec();
  return lease;
}

const readsAlerts = (conn: EtcdConnection) =>
  conn.kv
    .get('alert:probe')
    .exec()
    .then(
      () => 'ok',
      (e: Error) => (/permission denied/.test(e.message) ? 'denied' : e.message),
    );

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

  it('run again (auth on) changes nothing and invalidates no token: a service connection made before keeps its token (issue 29.1)', async () => {
    const orders = asService('orders');
    try {
      await orders.conn.kv.get('purchase:probe').exec();
      expect(orders.logins()).toBe(1);
      const before = await authRevision();

      const again = await applyEtcdAuth(opts);
      // The connection made before works with the token it had: etcd3 did not have to log in again.
      await orders.conn.kv.get('purchase:probe').exec();
      expect(orders.logins()).toBe(1);
      // Nothing was written to etcd's auth store (a password change or grant moves this).
      expect(await authRevision()).toBe(before);
      expect(again.wasEnabled).toBe(true);
      expect(again.rootCreated).toBe(false);
      expect(again.roles.map((r) => [r.service, r.granted, r.revoked, r.userCreated, r.passwordSet])).toEqual(
        SERVICE_NAMES.map((s) => [s, [], [], false, false]),
      );
    } finally {
      orders.conn.close();
    }
  });

  it('across an upgrade: a permission the new table drops stays while an instance of the old table runs, and is revoked once it is gone (issue 29.1)', async () => {
    // Release 1 (the old table) is applied; its orders instance runs with a connection of its own.
    const first = await applyEtcdAuth({ ...opts, table: oldTable });
    expect(first.roles.find((r) => r.service === 'orders')!.granted).toEqual(['read alert:*']);
    const old = asService('orders');
    const oldLease = await liveInstance('orders', 'old-1', grantsHash(oldTable.orders));
    // An instance of the new release already runs too: it does not hold anything up.
    const newLease = await liveInstance('orders', 'new-1', grantsHash(newTable.orders));
    try {
      expect(await readsAlerts(old.conn)).toBe('ok');

      // Release 2's Job: the new table, which drops read alert: for orders.
      const lines: string[] = [];
      const upgrade = applyEtcdAuth({ ...opts, table: newTable, pollMs: 200, log: (l) => lines.push(l) });
      let finished = false;
      void upgrade.then(
        () => (finished = true),
        () => (finished = true),
      );
      const waiting = 'orders: keeping read alert:* while 1 instance(s) of another role table run (svc:orders:old-1)';
      await waitFor(() => finished || lines.some((l) => l.startsWith(waiting)), { what: 'the Job waiting for the old orders instance' });
      // While the old instance's svc: key lives, its user keeps the permission (and its token).
      expect(await readsAlerts(old.conn)).toBe('ok');
      expect(await permissionsOf(root!, 'orders')).toContain('Read alert:');
      expect([finished, lines.filter((l) => l.startsWith('orders:'))]).toEqual([
        false,
        [expect.any(String), expect.stringContaining(waiting)],
      ]);

      await oldLease.revoke();
      const done = await upgrade;
      expect(done.roles.find((r) => r.service === 'orders')!.revoked).toEqual(['read alert:*']);
      expect(done.roles.filter((r) => r.service !== 'orders').every((r) => r.revoked.length === 0 && r.granted.length === 0)).toBe(true);
      expect(await permissionsOf(root!, 'orders')).toEqual(expected('orders'));
      expect(await readsAlerts(old.conn)).toBe('denied');
      expect(lines).toContain('orders: no instance of another role table runs: revoked read alert:*');
      // No password was set on the way. (The revoke moved etcd's auth revision: with JWT tokens the
      // old connection's next call was refused as "revision of auth store is old" and
      // libs/shared/etcd renewed its token, so that call answered "permission denied" above.)
      expect(done.roles.every((r) => !r.passwordSet)).toBe(true);
    } finally {
      old.conn.close();
      await oldLease.revoke().catch(() => undefined);
      await newLease.revoke();
    }
  });

  it('an instance that reports no table (a release before issue 29) holds the revocation back; past the wait apply fails with 75 and the permission stays (issue 29.1)', async () => {
    await applyEtcdAuth({ ...opts, table: oldTable });
    const lease = await liveInstance('orders', 'pre-29', undefined);
    try {
      const err = await applyEtcdAuth({ ...opts, revokeWaitMs: 1000, pollMs: 200 }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(EtcdAuthSetupError);
      expect((err as EtcdAuthSetupError).exitCode).toBe(75);
      expect((err as Error).message).toMatch(/instances of another role table still run after 1 s: orders \(svc:orders:pre-29\)/);
      expect(await permissionsOf(root!, 'orders')).toContain('Read alert:');
    } finally {
      await lease.revoke();
    }
    // A service with no instance running has no old one: the next run revokes at once.
    const next = await applyEtcdAuth({ ...opts, revokeWaitMs: 1000 });
    expect(next.roles.find((r) => r.service === 'orders')!.revoked).toEqual(['read alert:*']);
    expect(await permissionsOf(root!, 'orders')).toEqual(expected('orders'));
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
    // Only the password that no longer logs in is set (issue 29.1).
    expect(next.roles.filter((r) => r.passwordSet).map((r) => r.service)).toEqual(['orders']);
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
