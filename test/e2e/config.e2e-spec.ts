/** A bad environment stops a service before it connects anywhere, naming each bad variable. */
import { spawnSync } from 'node:child_process';
import path from 'node:path';

describe('service configuration', () => {
  it.each(['gateway', 'inventory'])('%s exits 78 naming the bad and the missing variables', (service) => {
    const r = spawnSync(process.execPath, [path.join(process.cwd(), 'services', service, 'dist', 'main.js')], {
      env: { PATH: process.env.PATH, NATS_URL: 'nats://127.0.0.1:1', HTTP_PORT: 'eighty' },
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(r.status).toBe(78);
    expect(r.stderr).toContain(`${service}: invalid configuration`);
    expect(r.stderr).toMatch(/HTTP_PORT: must be a whole number/);
    expect(r.stderr).toMatch(/ETCD_ENDPOINTS: is required but not set/);
  });
});
