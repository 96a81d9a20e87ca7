/** The etcd settings of the tools-image programs (etcd-backup, etcd-defrag), from the environment. */
import type { EtcdTlsFiles } from '@ticketcd/etcd';
import fs from 'node:fs';

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  readonly exitCode = 78;
}

export interface EtcdEnv {
  endpoints: string[];
  tls?: EtcdTlsFiles;
  rootPassword?: string;
  etcdDeadlineMs: number;
}

export function etcdEnv(env: NodeJS.ProcessEnv): EtcdEnv {
  const endpoints = (env.ETCD_ENDPOINTS ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (!endpoints.length) throw new ConfigError('ETCD_ENDPOINTS is required (comma-separated etcd client URLs)');
  const bad = endpoints.filter((u) => !/^https?:\/\/[^/]+/.test(u));
  if (bad.length) throw new ConfigError(`ETCD_ENDPOINTS: not http(s) URLs: ${bad.join(', ')}`);
  const tlsVars = ['ETCD_TLS_CA_FILE', 'ETCD_TLS_CERT_FILE', 'ETCD_TLS_KEY_FILE'].filter((v) => env[v]);
  for (const v of tlsVars) if (!fs.existsSync(env[v]!)) throw new ConfigError(`${v}: ${env[v]} is not a readable file`);
  const deadline = Number(env.ETCD_DEADLINE_MS ?? 5000);
  if (!Number.isFinite(deadline) || deadline <= 0)
    throw new ConfigError(`ETCD_DEADLINE_MS must be a positive number (got "${env.ETCD_DEADLINE_MS}")`);
  return {
    endpoints,
    ...(tlsVars.length ? { tls: { caFile: env.ETCD_TLS_CA_FILE, certFile: env.ETCD_TLS_CERT_FILE, keyFile: env.ETCD_TLS_KEY_FILE } } : {}),
    ...(env.ETCD_ROOT_PASSWORD ? { rootPassword: env.ETCD_ROOT_PASSWORD } : {}),
    etcdDeadlineMs: deadline,
  };
}
