import { baseServiceConfig, ConfigError, loadConfig } from './config.js';

const good = { ETCD_ENDPOINTS: 'http://127.0.0.1:2379,http://127.0.0.1:2380', NATS_URL: 'nats://127.0.0.1:4222' };

describe('loadConfig', () => {
  it('parses and defaults a valid environment once into typed values', () => {
    const c = loadConfig(baseServiceConfig, { ...good, HTTP_PORT: '8081', LOG_LEVEL: 'debug' });
    expect(c.ETCD_ENDPOINTS).toEqual(['http://127.0.0.1:2379', 'http://127.0.0.1:2380']);
    expect(c.HTTP_PORT).toBe(8081);
    expect(c.ETCD_DEADLINE_MS).toBe(2000);
    expect(c.SVC_LEASE_TTL_S).toBe(10);
    expect(c.INSTANCE_ID).toMatch(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/);
  });

  it('names a missing variable', () => {
    expect(() => loadConfig(baseServiceConfig, { NATS_URL: good.NATS_URL })).toThrow(/ETCD_ENDPOINTS: is required but not set/);
  });

  it('names every bad variable with the rule it breaks', () => {
    let error: ConfigError | undefined;
    try {
      loadConfig(baseServiceConfig, { ...good, HTTP_PORT: 'eighty', ETCD_DEADLINE_MS: '10', NATS_URL: 'http://x', LOG_LEVEL: 'loud' });
    } catch (e) {
      error = e as ConfigError;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const vars = error!.problems.map((p) => p.variable).sort();
    expect(vars).toEqual(['ETCD_DEADLINE_MS', 'HTTP_PORT', 'LOG_LEVEL', 'NATS_URL']);
    expect(error!.message).toMatch(/HTTP_PORT: must be a whole number/);
    expect(error!.message).toMatch(/ETCD_DEADLINE_MS: must be >= 50/);
    expect(error!.message).toMatch(/NATS_URL: each entry must be a URL with scheme nats or tls/);
  });

  it('rejects an out-of-range port and a bad instance id', () => {
    expect(() => loadConfig(baseServiceConfig, { ...good, HTTP_PORT: '70000' })).toThrow(/HTTP_PORT: must be <= 65535/);
    expect(() => loadConfig(baseServiceConfig, { ...good, INSTANCE_ID: 'a:b' })).toThrow(/INSTANCE_ID: must be 1-63 characters/);
  });
});
