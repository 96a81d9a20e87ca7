/** Issue 26.1: the gateway trusts a configured number of proxies, never every X-Forwarded-For entry. */
import { loadConfig } from '@ticketcd/config';
import { gatewayConfig } from './gateway.config.js';

const BASE = { ETCD_ENDPOINTS: 'http://127.0.0.1:2379', NATS_URL: 'nats://127.0.0.1:4222' };

describe('TRUST_PROXY_HOPS', () => {
  it('defaults to 0 (no proxy: X-Forwarded-* ignored) and parses a hop count', () => {
    expect(loadConfig(gatewayConfig, BASE).TRUST_PROXY_HOPS).toBe(0);
    expect(loadConfig(gatewayConfig, { ...BASE, TRUST_PROXY_HOPS: '1' }).TRUST_PROXY_HOPS).toBe(1);
  });

  it.each(['-1', '11', 'true', '1.5'])('refuses %p', (v) => {
    expect(() => loadConfig(gatewayConfig, { ...BASE, TRUST_PROXY_HOPS: v })).toThrow(/TRUST_PROXY_HOPS:/);
  });

  it('refuses the old TRUST_PROXY=true with a pointer to TRUST_PROXY_HOPS (no silent change of client addresses); false still starts', () => {
    expect(() => loadConfig(gatewayConfig, { ...BASE, TRUST_PROXY: 'true' })).toThrow(/TRUST_PROXY: replaced by TRUST_PROXY_HOPS/);
    expect(loadConfig(gatewayConfig, { ...BASE, TRUST_PROXY: 'false' }).TRUST_PROXY_HOPS).toBe(0);
  });
});
