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

// Issue 15: a service's own etcd user, client TLS and stream replicas.
describe('etcd auth, TLS and stream replicas', () => {
  const pem = `${process.cwd()}/package.json`; // any readable file: only readability is checked here
  const tlsGood = { ...good, ETCD_ENDPOINTS: 'https://127.0.0.1:2379' };

  it('takes a user and password together, and neither', () => {
    const c = loadConfig(baseServiceConfig, { ...good, ETCD_USERNAME: 'orders', ETCD_PASSWORD: 's3cret' });
    expect([c.ETCD_USERNAME, c.ETCD_PASSWORD]).toEqual(['orders', 's3cret']);
    expect(loadConfig(baseServiceConfig, good).ETCD_USERNAME).toBeUndefined();
  });

  it('refuses a user without a password and the other way round, without printing the password', () => {
    expect(() => loadConfig(baseServiceConfig, { ...good, ETCD_USERNAME: 'orders' })).toThrow(
      /ETCD_PASSWORD: must be set together with ETCD_USERNAME \(both or neither\)/,
    );
    let message = '';
    try {
      loadConfig(baseServiceConfig, { ...good, ETCD_PASSWORD: 'hunter2' });
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).toMatch(/ETCD_USERNAME: must be set together with ETCD_PASSWORD/);
    expect(message).not.toContain('hunter2');
  });

  it('takes TLS files with https endpoints, and refuses them with http ones, a missing file, or a cert without its key', () => {
    const c = loadConfig(baseServiceConfig, { ...tlsGood, ETCD_TLS_CA_FILE: pem, ETCD_TLS_CERT_FILE: pem, ETCD_TLS_KEY_FILE: pem });
    expect(c.ETCD_TLS_CA_FILE).toBe(pem);
    expect(() => loadConfig(baseServiceConfig, { ...good, ETCD_TLS_CA_FILE: pem })).toThrow(
      /ETCD_ENDPOINTS: must be https URLs when ETCD_TLS_CA_FILE is set/,
    );
    expect(() => loadConfig(baseServiceConfig, { ...tlsGood, ETCD_TLS_CA_FILE: '/nonexistent/ca.crt' })).toThrow(
      /ETCD_TLS_CA_FILE: must name a readable file/,
    );
    expect(() => loadConfig(baseServiceConfig, { ...tlsGood, ETCD_TLS_CERT_FILE: pem })).toThrow(
      /ETCD_TLS_KEY_FILE: must be set together with ETCD_TLS_CERT_FILE/,
    );
  });

  it('reads NATS_STREAM_REPLICAS within 1..5, default 1', () => {
    expect(loadConfig(baseServiceConfig, good).NATS_STREAM_REPLICAS).toBe(1);
    expect(loadConfig(baseServiceConfig, { ...good, NATS_STREAM_REPLICAS: '3' }).NATS_STREAM_REPLICAS).toBe(3);
    expect(() => loadConfig(baseServiceConfig, { ...good, NATS_STREAM_REPLICAS: '7' })).toThrow(/NATS_STREAM_REPLICAS: must be <= 5/);
  });
});
