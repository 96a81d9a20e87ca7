/**
 * Where ticketctl connects: flags, then the environment (the services' own variables), then a
 * config file (--config-file or TICKETCTL_CONFIG, YAML), then the local stack's state file, then
 * the local stack's default ports.
 */
import { createEtcdConnection, type EtcdConnection } from '@ticketcd/etcd';
import { readState } from '@ticketcd/stack';
import fs from 'node:fs';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';

export interface GlobalOptions {
  etcd?: string;
  nats?: string;
  stackDir?: string;
  configFile?: string;
  /** Key prefix every key lives under (the services' ETCD_NAMESPACE; tests use one each). */
  namespace?: string;
}

export interface Endpoints {
  etcd: string[];
  nats: string;
  /** Where they came from, for messages. */
  source: string;
  namespace: string;
  auth?: { username: string; password: string };
  tls?: { caFile?: string; certFile?: string; keyFile?: string };
}

/** The local stack's default ports (`npm run stack`, port base 23790). */
export const LOCAL_ETCD = [0, 1, 2, 3, 4].map((i) => `http://127.0.0.1:${23790 + i}`);
export const LOCAL_NATS = 'nats://127.0.0.1:23810';

const fileSchema = z
  .object({
    etcd: z
      .object({ endpoints: z.array(z.string()).min(1) })
      .strict()
      .optional(),
    nats: z.object({ url: z.string() }).strict().optional(),
  })
  .strict();

const list = (s: string) =>
  s
    .split(',')
    .map((e) => e.trim())
    .filter(Boolean)
    .map((e) => (/^[a-z]+:\/\//.test(e) ? e : `http://${e}`));

export function resolveEndpoints(opts: GlobalOptions, env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): Endpoints {
  const auth = env.ETCD_USERNAME && env.ETCD_PASSWORD ? { username: env.ETCD_USERNAME, password: env.ETCD_PASSWORD } : undefined;
  const tls =
    env.ETCD_TLS_CA_FILE || env.ETCD_TLS_CERT_FILE
      ? { caFile: env.ETCD_TLS_CA_FILE, certFile: env.ETCD_TLS_CERT_FILE, keyFile: env.ETCD_TLS_KEY_FILE }
      : undefined;
  const fileName = opts.configFile ?? env.TICKETCTL_CONFIG;
  let file: z.infer<typeof fileSchema> = {};
  if (fileName) {
    let raw: unknown;
    try {
      raw = parseYaml(fs.readFileSync(fileName, 'utf8'));
    } catch (e) {
      throw new Error(`config file ${fileName}: ${(e as Error).message}`);
    }
    const parsed = fileSchema.safeParse(raw ?? {});
    if (!parsed.success)
      throw new Error(
        `config file ${fileName}: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')}`,
      );
    file = parsed.data;
  }
  const state = readState(path.resolve(cwd, opts.stackDir ?? env.TICKETCTL_STACK_DIR ?? '.stack'));
  const pick = <T>(...c: [T | undefined, string][]): [T, string] => c.find(([v]) => v !== undefined && v !== '') as [T, string];
  const [etcd, etcdFrom] = pick<string[]>(
    [opts.etcd ? list(opts.etcd) : undefined, '--etcd'],
    [env.ETCD_ENDPOINTS ? list(env.ETCD_ENDPOINTS) : undefined, 'ETCD_ENDPOINTS'],
    [file.etcd?.endpoints?.length ? file.etcd.endpoints.map((e) => list(e)[0]!) : undefined, fileName ?? ''],
    [state?.etcdEndpoints, 'the local stack'],
    [LOCAL_ETCD, 'the local stack defaults'],
  );
  const [nats, natsFrom] = pick<string>(
    [opts.nats, '--nats'],
    [env.NATS_URL, 'NATS_URL'],
    [file.nats?.url, fileName ?? ''],
    [state?.natsUrl, 'the local stack'],
    [LOCAL_NATS, 'the local stack defaults'],
  );
  const namespace = opts.namespace ?? env.ETCD_NAMESPACE ?? '';
  if (!/^[A-Za-z0-9_.:-]*$/.test(namespace))
    throw new Error(`--namespace may contain only A-Z a-z 0-9 _ . : - (got ${JSON.stringify(namespace)})`);
  return { etcd, nats, source: etcdFrom === natsFrom ? etcdFrom : `${etcdFrom} / ${natsFrom}`, namespace, auth, tls };
}

/** An etcd connection with a deadline on every call (a lost quorum answers, it never hangs). */
export function connect(ep: Endpoints, deadlineMs = 5000): EtcdConnection {
  return createEtcdConnection({ endpoints: ep.etcd, namespace: ep.namespace || undefined, deadlineMs, auth: ep.auth, tls: ep.tls });
}
