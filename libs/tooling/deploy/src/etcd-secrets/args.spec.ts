/** Issue 29.2: the flags of `etcd-secrets.js ensure` (what the chart renders) to the Secrets it ensures. */
import { SERVICE_NAMES } from '@ticketcd/keys';
import { parseEnsure } from './args.js';
import { EtcdSecretsError } from './ensure.js';

const fails = (argv: string[], env: NodeJS.ProcessEnv = {}) => {
  try {
    parseEnsure(argv, env);
  } catch (e) {
    return [(e as EtcdSecretsError).exitCode, (e as Error).message];
  }
  return null;
};

describe('etcd-secrets ensure flags (issue 29.2)', () => {
  it('one plan per named Secret, CA before the certificates it signs; a Secret not named is never planned', () => {
    const cmd = parseEnsure(
      [
        '--root=r',
        '--users=u',
        '--jwt=j',
        '--admin=a',
        '--peer=p',
        '--peer-san=*.h',
        '--client=c-tools:root',
        '--ca=ca',
        '--label=app.kubernetes.io/instance=x',
        '--copy=u:/run/u',
      ],
      { ADMIN_USERNAME: 'boss', POD_NAMESPACE: 'shop' },
    );
    expect(cmd.plans).toEqual([
      { kind: 'root', name: 'r' },
      { kind: 'users', name: 'u', services: [...SERVICE_NAMES] },
      { kind: 'jwt', name: 'j' },
      { kind: 'admin', name: 'a', username: 'boss' },
      { kind: 'ca', name: 'ca', commonName: 'ca' },
      { kind: 'cert', name: 'p', ca: 'ca', role: 'peer', commonName: 'p', sans: ['*.h'] },
      { kind: 'cert', name: 'c-tools', ca: 'ca', role: 'client', commonName: 'root', sans: [] },
    ]);
    expect([cmd.namespace, cmd.labels, cmd.copies]).toEqual([
      'shop',
      { 'app.kubernetes.io/instance': 'x' },
      [{ secret: 'u', dir: '/run/u' }],
    ]);
    expect(parseEnsure(['--jwt=j'], {}).plans).toEqual([{ kind: 'jwt', name: 'j' }]);
  });

  it('refuses what would make a wrong Secret: no CA for certificates, no SANs for a server, no admin name, bad names, unknown flags', () => {
    expect(fails(['--client=c:root'])).toEqual([64, '--peer, --server and --client need --ca (the CA Secret that signs them)']);
    expect(fails(['--ca=ca', '--server=s'])).toEqual([64, '--server-san is required with --server']);
    expect(fails(['--admin=a'])).toEqual([78, "--admin needs ADMIN_USERNAME (the first admin's name)"]);
    expect(fails(['--root=Bad_Name'])).toEqual([64, '--root: "Bad_Name" is not a Secret name']);
    expect(fails(['--rooot=r'])).toEqual([64, 'unknown flag --rooot']);
    expect(fails(['--copy=u:relative'])).toEqual([64, '--copy=u:relative: expected <secret>:<absolute dir>']);
    expect(fails(['--users=u', '--services='])).toEqual([64, '--services is empty']);
    expect(fails([])?.[0]).toBe(64);
  });
});
