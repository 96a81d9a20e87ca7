/**
 * Issue 28.1: etcd membership beside each member of the chart's StatefulSet (tools image).
 *   etcd-member.js prepare   init container: detect the state (first install, restart, wiped
 *                            volume, kept volume of a removed member), act, write etcd's config file
 *   etcd-member.js run       sidecar: promote our learner once caught up; on the leader, remove
 *                            members of pods gone without preStop (ordinal >= desired size)
 *   etcd-member.js leave     preStop: remove our member when ordinal >= desired size
 * Flags (templates take {name}, {namespace}, {ordinal} and {port:N} = N + ordinal):
 *   --name=<pod name> --peer-url=<tpl> --client-url=<tpl> [--listen-peer-url=<tpl>] [--listen-client-url=<tpl>]
 *   [--data-dir] [--config-out] [--base-config=<yaml>] [--extra-arg=--flag=value ...] [--token]
 *   --statefulset=<name> [--namespace] | --replicas-file=<file>   (the desired size)
 *   [--max-ordinal=9] [--discover-ms] [--interval-ms] [--leave-timeout-ms] [--cleanup-after-ms] [--deadline-ms]
 * Env: ETCD_ROOT_PASSWORD or ETCD_ROOT_PASSWORD_FILE (etcd auth on), ETCD_TLS_CA_FILE / _CERT_FILE /
 * _KEY_FILE (https client URLs), POD_NAMESPACE.
 * Exit codes: 0 done, 64 usage, 78 configuration, 1 other. No password is ever printed.
 */
import fs from 'node:fs';
import { parse } from 'yaml';
import { flagsToConfig, ordinalOfName, peerUrlOf, type Layout } from './etcd-member/config.js';
import { leave, prepare, run, type MemberOptions } from './etcd-member/commands.js';
import type { DesiredSource } from './etcd-member/desired.js';

class UsageError extends Error {
  constructor(
    message: string,
    readonly code = 64,
  ) {
    super(message);
  }
}

const log = (line: string) => process.stdout.write(`${new Date().toISOString()} etcd-member: ${line}\n`);

function parseFlags(argv: string[]): Map<string, string[]> {
  const flags = new Map<string, string[]>();
  for (const a of argv) {
    const m = /^--([a-z-]+)=(.*)$/s.exec(a);
    if (!m) throw new UsageError(`argument "${a}" is not --flag=value`);
    flags.set(m[1]!, [...(flags.get(m[1]!) ?? []), m[2]!]);
  }
  return flags;
}

function optionsFrom(argv: string[], env: NodeJS.ProcessEnv): MemberOptions {
  const flags = parseFlags(argv);
  const one = (k: string, fallback?: string): string => {
    const v = flags.get(k)?.at(-1) ?? fallback;
    if (v === undefined || v === '') throw new UsageError(`--${k} is required`);
    return v;
  };
  const num = (k: string, fallback: number): number => {
    const v = Number(one(k, String(fallback)));
    if (!Number.isFinite(v) || v <= 0) throw new UsageError(`--${k} must be a positive number`);
    return v;
  };
  const name = one('name', env.POD_NAME);
  const prefix = one('prefix', name.replace(/-\d+$/, ''));
  const clientUrl = one('client-url');
  const namespace = flags.get('namespace')?.at(-1) ?? env.POD_NAMESPACE;
  const layout: Layout = {
    prefix,
    namespace,
    peerUrl: one('peer-url'),
    clientUrl,
    listenPeerUrl: one('listen-peer-url', 'http://0.0.0.0:2380'),
    listenClientUrl: one('listen-client-url', `${clientUrl.startsWith('https:') ? 'https' : 'http'}://0.0.0.0:2379`),
    maxOrdinal: num('max-ordinal', 9),
  };
  let ordinal: number;
  try {
    ordinal = ordinalOfName(layout, name);
  } catch (e) {
    throw new UsageError((e as Error).message, 78);
  }
  const desired: DesiredSource = flags.has('replicas-file')
    ? { kind: 'file', file: one('replicas-file') }
    : { kind: 'statefulset', name: one('statefulset', prefix), namespace: one('namespace', namespace), timeoutMs: 5000 };
  const baseFile = flags.get('base-config')?.at(-1);
  let base: Record<string, unknown> = {};
  if (baseFile) {
    try {
      base = (parse(fs.readFileSync(baseFile, 'utf8')) as Record<string, unknown> | null) ?? {};
    } catch (e) {
      throw new UsageError(`--base-config ${baseFile}: ${(e as Error).message.split('\n')[0]}`, 78);
    }
  }
  let extra: Record<string, unknown>;
  try {
    extra = flagsToConfig(flags.get('extra-arg') ?? []);
  } catch (e) {
    throw new UsageError((e as Error).message, 78);
  }
  const passwordFile = env.ETCD_ROOT_PASSWORD_FILE;
  const rootPassword =
    passwordFile && fs.existsSync(passwordFile) ? fs.readFileSync(passwordFile, 'utf8').replace(/\r?\n$/, '') : env.ETCD_ROOT_PASSWORD;
  const tls = { caFile: env.ETCD_TLS_CA_FILE, certFile: env.ETCD_TLS_CERT_FILE, keyFile: env.ETCD_TLS_KEY_FILE };
  return {
    layout,
    self: { name, ordinal, peerUrl: peerUrlOf(layout, ordinal) },
    dataDir: one('data-dir', '/var/lib/etcd/data'),
    configOut: one('config-out', '/run/etcd/etcd.yaml'),
    token: one('token', prefix),
    base,
    extra,
    access: {
      tls: tls.caFile || tls.certFile || tls.keyFile ? tls : undefined,
      rootPassword: rootPassword || undefined,
      deadlineMs: num('deadline-ms', 3000),
    },
    desired,
    discoverMs: num('discover-ms', 10_000),
    intervalMs: num('interval-ms', 2000),
    leaveTimeoutMs: num('leave-timeout-ms', 20_000),
    cleanupAfterMs: num('cleanup-after-ms', 60_000),
    log,
  };
}

async function main(argv: string[]): Promise<void> {
  const [command, ...rest] = argv;
  if (!command || !['prepare', 'run', 'leave'].includes(command))
    throw new UsageError('usage: etcd-member.js prepare | run | leave --flag=value ...');
  const o = optionsFrom(rest, process.env);
  if (command === 'prepare') {
    const outcome = await prepare(o);
    log(`prepare done: ${outcome}`);
    return;
  }
  if (command === 'leave') {
    log(`leave: ${await leave(o)}`);
    return;
  }
  const stop = new AbortController();
  for (const s of ['SIGTERM', 'SIGINT'] as const) process.once(s, () => stop.abort());
  log(`run: watching ${o.self.name}`);
  await run(o, stop.signal);
}

main(process.argv.slice(2)).then(
  () => process.exit(0),
  (e: unknown) => {
    process.stderr.write(`etcd-member: ${(e as Error).message.split('\n')[0]}\n`);
    process.exit(e instanceof UsageError ? e.code : 1);
  },
);
