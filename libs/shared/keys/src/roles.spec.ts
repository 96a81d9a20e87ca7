/**
 * Issue 29.1: the fingerprint each instance publishes in its svc: value (`grants`), which
 * `etcd-auth apply` compares with its table before revoking what only an older table had.
 */
import { grantsHash, roleGrants, SERVICE_NAMES } from './index.js';

describe('grantsHash (issue 29.1)', () => {
  it('names a set of grants: order does not matter, a changed prefix or permission does, and every service differs', () => {
    const orders = roleGrants('orders');
    expect(grantsHash(orders)).toMatch(/^[0-9a-f]{16}$/);
    expect(grantsHash([...orders].reverse())).toBe(grantsHash(orders));
    expect(grantsHash([...orders, { prefix: 'alert:', permission: 'read' }])).not.toBe(grantsHash(orders));
    expect(grantsHash(orders.map((g) => ({ ...g, permission: 'readwrite' as const })))).not.toBe(grantsHash(orders));
    expect(new Set(SERVICE_NAMES.map((s) => grantsHash(roleGrants(s)))).size).toBe(SERVICE_NAMES.length);
  });
});
