/**
 * Issue 29.2: the Secrets nobody regenerates. The etcd-auth Job's init container (tools image):
 *   etcd-secrets.js ensure [flags]   create each listed Secret that is absent; never change one
 * Flags (the chart passes only the Secrets no existingSecret / cert-manager supplies):
 *   --namespace=<ns>                 (default POD_NAMESPACE, else the kubeconfig context's)
 *   --root=<secret>                  etcd root password, key `password`
 *   --users=<secret> --services=a,b  one etcd password per service, key = service name
 *   --jwt=<secret>                   RS256 key pair for etcd's JWT tokens, keys `jwt.key` (PKCS#8), `jwt.pub` (SPKI)
 *   --admin=<secret>                 first web admin, keys `username` (env ADMIN_USERNAME), `password`
 *   --ca=<secret> [--ca-cn=<name>]   the etcd CA (kubernetes.io/tls: tls.crt, tls.key)
 *   --peer=<secret> --peer-san=a,b   member-to-member certificate (serverAuth + clientAuth)
 *   --server=<secret> --server-san=a,b   the client port's certificate (serverAuth + clientAuth)
 *   --client=<secret>:<CN>           a client certificate (clientAuth), CN = the etcd user; repeatable
 *   --ca-days=3650 --cert-days=1825  lifetimes of what is created
 *   --label=<k>=<v>                  extra label on what is created; repeatable
 *   --copy=<secret>:<dir>            after ensuring, write the Secret's keys as files into dir; repeatable
 *   --timeout-ms=10000               deadline of each Kubernetes API call
 * Exit codes: 0 done, 64 usage, 78 configuration (a Secret lacks keys, a CA without its key),
 * 75 a Secret to copy is not there yet, 69 the Kubernetes API unreachable or refusing, 1 other.
 * No secret value is ever printed.
 */
import { parseEnsure } from './etcd-secrets/args.js';
import { copySecretToDir, ensureSecrets, EtcdSecretsError } from './etcd-secrets/ensure.js';
import { kubeSecretsApi } from './etcd-secrets/kube.js';

const log = (line: string) => process.stdout.write(`${new Date().toISOString()} etcd-secrets: ${line}\n`);

async function main(argv: string[]): Promise<void> {
  const [command, ...rest] = argv;
  if (command !== 'ensure') throw new EtcdSecretsError('usage: etcd-secrets.js ensure --flag=value ...', 64);
  const cmd = parseEnsure(rest, process.env);
  const { api, namespace } = await kubeSecretsApi({ namespace: cmd.namespace, timeoutMs: cmd.timeoutMs });
  const result = await ensureSecrets({ api, plans: cmd.plans, labels: cmd.labels, caDays: cmd.caDays, certDays: cmd.certDays, log });
  for (const p of result.problems) log(`problem: ${p}`);
  log(`${namespace}: ${result.created.length} created, ${result.kept.length} kept`);
  for (const c of cmd.copies) log(`copied Secret ${c.secret} to ${c.dir} (${(await copySecretToDir(api, c.secret, c.dir)).length} keys)`);
  if (result.problems.length)
    throw new EtcdSecretsError(`${result.problems.length} Secret(s) need a person: nothing was changed (docs/deploy.md "Secrets")`, 78);
}

main(process.argv.slice(2)).then(
  () => process.exit(0),
  (e: unknown) => {
    process.stderr.write(`etcd-secrets: ${(e as Error).message.split('\n')[0]}\n`);
    process.exit(e instanceof EtcdSecretsError ? e.exitCode : 1);
  },
);
