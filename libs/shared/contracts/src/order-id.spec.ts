import { isId } from '@ticketcd/keys';
import { deriveOrderId } from './order-id.js';

describe('deriveOrderId (invariant 3: a retried order keeps its id)', () => {
  it('is stable for one user and key, different across users and keys, and a valid id', () => {
    const a = deriveOrderId('ana', 'click-1');
    expect(deriveOrderId('ana', 'click-1')).toBe(a);
    expect(deriveOrderId('bob', 'click-1')).not.toBe(a);
    expect(deriveOrderId('ana', 'click-2')).not.toBe(a);
    // No ambiguity from concatenation.
    expect(deriveOrderId('ana', 'b\nc')).not.toBe(deriveOrderId('ana\nb', 'c'));
    expect(isId(a)).toBe(true);
    expect(a).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });
});
