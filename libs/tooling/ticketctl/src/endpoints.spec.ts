/** Issue 16 point 5: endpoints come from flags, then the environment, then a config file, then the local stack. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { LOCAL_ETCD, LOCAL_NATS, resolveEndpoints } from './endpoints.js';

describe('resolveEndpoints', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ticketctl-endpoints-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  const file = (text: string) => {
    const f = path.join(dir, 'ticketctl.yaml');
    fs.writeFileSync(f, text);
    return f;
  };
  const stackState = () => {
    fs.mkdirSync(path.join(dir, '.stack'));
    fs.writeFileSync(
      path.join(dir, '.stack', 'stack.json'),
      JSON.stringify({ etcdEndpoints: ['http://127.0.0.1:33790'], natsUrl: 'nats://127.0.0.1:33810', processes: [], services: [] }),
    );
  };

  it('defaults to the local stack ports, or the running stack state when there is one', () => {
    expect(resolveEndpoints({}, {}, dir)).toMatchObject({ etcd: LOCAL_ETCD, nats: LOCAL_NATS, namespace: '' });
    stackState();
    expect(resolveEndpoints({}, {}, dir)).toMatchObject({ etcd: ['http://127.0.0.1:33790'], nats: 'nats://127.0.0.1:33810' });
  });

  it('takes a config file over the stack, the environment over the file, flags over everything', () => {
    stackState();
    const f = file('etcd:\n  endpoints: [10.0.0.1:2379, 10.0.0.2:2379]\nnats:\n  url: nats://10.0.0.9:4222\n');
    expect(resolveEndpoints({ configFile: f }, {}, dir)).toMatchObject({
      etcd: ['http://10.0.0.1:2379', 'http://10.0.0.2:2379'],
      nats: 'nats://10.0.0.9:4222',
    });
    const env = { ETCD_ENDPOINTS: 'https://etcd-0:2379,https://etcd-1:2379', NATS_URL: 'nats://nats:4222', ETCD_NAMESPACE: 'ns:' };
    expect(resolveEndpoints({ configFile: f }, env, dir)).toMatchObject({
      etcd: ['https://etcd-0:2379', 'https://etcd-1:2379'],
      nats: 'nats://nats:4222',
      namespace: 'ns:',
    });
    expect(resolveEndpoints({ configFile: f, etcd: '127.0.0.1:1', nats: 'nats://x:1', namespace: 'mine:' }, env, dir)).toMatchObject({
      etcd: ['http://127.0.0.1:1'],
      nats: 'nats://x:1',
      namespace: 'mine:',
    });
  });

  it('names the bad field of a config file, and refuses a bad namespace', () => {
    expect(() => resolveEndpoints({ configFile: file('etcd:\n  endpoint: [x]\n') }, {}, dir)).toThrow(/config file .*etcd/);
    expect(() => resolveEndpoints({ namespace: 'a b' }, {}, dir)).toThrow(/--namespace may contain only/);
  });

  it('uses the services\u2019 etcd credentials variables', () => {
    expect(resolveEndpoints({}, { ETCD_USERNAME: 'orders', ETCD_PASSWORD: 'pw' }, dir).auth).toEqual({
      username: 'orders',
      password: 'pw',
    });
  });
});
