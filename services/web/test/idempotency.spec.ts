// Guards invariant "an acknowledged order is bought once": the UI sends one Idempotency-Key per
// checkout attempt and reuses it for every retry of the same order (double click, network retry).
import { IdempotencyKeys, orderFingerprint } from '../src/lib/idempotency.js';

describe('IdempotencyKeys', () => {
  let n = 0;
  const keys = () => new IdempotencyKeys(() => `k${++n}`);

  it('reuses the key for the same order, whatever the order of its lines', () => {
    const k = keys();
    const a = k.keyFor('e1', [
      { type: 'pink', quantity: 2 },
      { type: 'blue', quantity: 1 },
    ]);
    const b = k.keyFor('e1', [
      { type: 'blue', quantity: 1 },
      { type: 'pink', quantity: 2 },
      { type: 'red', quantity: 0 },
    ]);
    expect(b).toBe(a);
  });

  it('takes a new key when the order changes, and after a final answer', () => {
    const k = keys();
    const a = k.keyFor('e1', [{ type: 'pink', quantity: 2 }]);
    const b = k.keyFor('e1', [{ type: 'pink', quantity: 3 }]);
    expect(b).not.toBe(a);
    expect(k.keyFor('e2', [{ type: 'pink', quantity: 3 }])).not.toBe(b);
    const c = k.keyFor('e2', [{ type: 'pink', quantity: 3 }]);
    k.settle();
    expect(k.keyFor('e2', [{ type: 'pink', quantity: 3 }])).not.toBe(c);
  });

  it('fingerprints merge lines of one type and drop empty ones', () => {
    expect(
      orderFingerprint('e', [
        { type: 'b', quantity: 1 },
        { type: 'a', quantity: 1 },
        { type: 'b', quantity: 2 },
        { type: 'c', quantity: 0 },
      ]),
    ).toBe('e|a:1,b:3');
  });
});
