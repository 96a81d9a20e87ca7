import { ConfigError, loadConfig } from '@ticketcd/config';
import { inventoryConfig } from './inventory.config.js';

const base = { SERVICE_NAME: 'inventory', ETCD_ENDPOINTS: 'http://127.0.0.1:2379', NATS_URL: 'nats://127.0.0.1:4222' };

describe('inventory config: the purchase engine options (issue 17)', () => {
  it('defaults to full Txns, one batch of an event at a time, leader pinning and a 5 s sold-out memory', () => {
    const c = loadConfig(inventoryConfig, base);
    expect(c).toMatchObject({ PURCHASE_BATCH_MAX: 126, PURCHASE_PIPELINE: 1, PURCHASE_PIN_LEADER: true, PURCHASE_SOLD_OUT_TTL_MS: 5000 });
    expect(c.PURCHASE_SOLD_OUT_MAX_WATCHES).toBe(1000);
  });

  it('takes an operator setting, and refuses one out of range naming it', () => {
    expect(loadConfig(inventoryConfig, { ...base, PURCHASE_PIPELINE: '2', PURCHASE_PIN_LEADER: 'false' })).toMatchObject({
      PURCHASE_PIPELINE: 2,
      PURCHASE_PIN_LEADER: false,
    });
    expect(() => loadConfig(inventoryConfig, { ...base, PURCHASE_PIPELINE: '0' })).toThrow(ConfigError);
    expect(() => loadConfig(inventoryConfig, { ...base, PURCHASE_BATCH_MAX: '127' })).toThrow(/PURCHASE_BATCH_MAX/);
  });
});
