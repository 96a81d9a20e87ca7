/**
 * Issue 29.2: `etcd-secrets ensure`, the etcd-auth Job's init container. The chart generates no
 * secret value (under Argo CD `lookup` returns nothing, so a template-made password changed on
 * every sync). Instead this creates each Secret of the contract that is absent, and only then:
 *   read first; absent -> create; 409 Conflict -> another run created it first (fine, use theirs).
 * It never updates or deletes a Secret, so a value, once made, stays until someone deletes it.
 * What it creates carries app.kubernetes.io/managed-by=ticketcd-etcd-auth and no Helm ownership:
 * an uninstall keeps it (etcd's volumes keep the passwords too). No value is ever logged.
 */
import fs from 'node:fs';
import path from 'node:path';
import { createCa, issueCert, jwtKeyPair, randomPassword, signedBy, type CertRole, type Pem } from './material.js';

export const MANAGED_BY = 'ticketcd-etcd-auth';

/** What one Secret of the contract holds; `name` is its Secret name. */
export type SecretPlan =
  | { kind: 'root'; name: string }
  | { kind: 'users'; name: string; services: string[] }
  | { kind: 'jwt'; name: string }
  | { kind: 'admin'; name: string; username: string }
  | { kind: 'ca'; name: string; commonName: string }
  | { kind: 'cert'; name: string; ca: string; role: CertRole; commonName: string; sans: string[] };

/** The two calls this needs (RBAC: get, create on secrets in the namespace). Data decoded to UTF-8. */
export interface SecretsApi {
  /** The Secret's data, or null when it does not exist. */
  read(name: string): Promise<Record<string, string> | null>;
  /** 'exists' on 409 Conflict (someone created it between our read and this create). */
  create(secret: {
    name: string;
    type: string;
    labels: Record<string, string>;
    data: Record<string, string>;
  }): Promise<'created' | 'exists'>;
}

export class EtcdSecretsError extends Error {
  override readonly name = 'EtcdSecretsError';
  constructor(
    message: string,
    /** 78 configuration, 75 not there yet (retry), 69 API unavailable or refused. */
    readonly exitCode: number,
  ) {
    super(message);
  }
}

export interface EnsureOptions {
  api: SecretsApi;
  plans: SecretPlan[];
  /** Extra labels on what is created (e.g. app.kubernetes.io/instance). */
  labels?: Record<string, string>;
  caDays?: number;
  certDays?: number;
  log?: (line: string) => void;
}

export interface EnsureResult {
  created: string[];
  kept: string[];
  /** Existing Secrets that do not hold what the contract needs (nothing was changed). */
  problems: string[];
}

/** The keys a Secret of this plan must have. */
export function keysOf(plan: SecretPlan): string[] {
  switch (plan.kind) {
    case 'root':
      return ['password'];
    case 'users':
      return plan.services;
    case 'jwt':
      return ['jwt.key', 'jwt.pub'];
    case 'admin':
      return ['username', 'password'];
    case 'ca':
      return ['tls.crt', 'tls.key'];
    case 'cert':
      return ['tls.crt', 'tls.key', 'ca.crt'];
  }
}

const tlsType = 'kubernetes.io/tls';

/** Creates every absent Secret of `plans` (CAs before the certificates they sign); changes none. */
export async function ensureSecrets(o: EnsureOptions): Promise<EnsureResult> {
  const log = o.log ?? (() => undefined);
  const labels = { ...o.labels, 'app.kubernetes.io/managed-by': MANAGED_BY };
  const result: EnsureResult = { created: [], kept: [], problems: [] };
  const caDays = o.caDays ?? 3650;
  const certDays = o.certDays ?? 1825;
  const cas = new Map<string, Pem>();
  const plans = [...o.plans].sort((a, b) => Number(b.kind === 'ca') - Number(a.kind === 'ca'));

  /** The CA a certificate is signed with: the Secret as stored (ours, another run's, or the user's). */
  const caOf = async (name: string): Promise<Pem> => {
    const cached = cas.get(name);
    if (cached) return cached;
    const data = await o.api.read(name);
    if (!data) throw new EtcdSecretsError(`CA Secret ${name} does not exist: cannot issue certificates`, 75);
    if (!data['tls.crt'] || !data['tls.key'])
      throw new EtcdSecretsError(`CA Secret ${name} lacks tls.crt or tls.key: cannot issue certificates with it`, 78);
    const pem = { cert: data['tls.crt'], key: data['tls.key'] };
    cas.set(name, pem);
    return pem;
  };

  for (const plan of plans) {
    const existing = await o.api.read(plan.name);
    if (existing) {
      const missing = keysOf(plan).filter((k) => !existing[k]);
      if (missing.length) result.problems.push(`Secret ${plan.name} exists without key(s) ${missing.join(', ')}`);
      else if (plan.kind === 'cert') {
        // A leaf made under a CA that was deleted and made anew is trusted by nobody: say so.
        const ca = await caOf(plan.ca).catch(() => null);
        if (ca && !signedBy(existing['tls.crt']!, ca.cert))
          result.problems.push(
            `Secret ${plan.name}: its certificate is not signed by the CA in ${plan.ca} (delete it to have it issued anew)`,
          );
      }
      log(`Secret ${plan.name} exists: kept as it is`);
      result.kept.push(plan.name);
      continue;
    }
    let type = 'Opaque';
    let data: Record<string, string>;
    switch (plan.kind) {
      case 'root':
        data = { password: randomPassword(32) };
        break;
      case 'users':
        data = Object.fromEntries(plan.services.map((s) => [s, randomPassword(32)]));
        break;
      case 'jwt':
        data = jwtKeyPair();
        break;
      case 'admin':
        data = { username: plan.username, password: randomPassword(24) };
        break;
      case 'ca': {
        const ca = await createCa(plan.commonName, caDays);
        type = tlsType;
        data = { 'tls.crt': ca.cert, 'tls.key': ca.key };
        break;
      }
      case 'cert': {
        const ca = await caOf(plan.ca);
        const cert = await issueCert(ca, { commonName: plan.commonName, role: plan.role, sans: plan.sans, days: certDays });
        type = tlsType;
        data = { 'tls.crt': cert.cert, 'tls.key': cert.key, 'ca.crt': ca.cert };
        break;
      }
    }
    const outcome = await o.api.create({ name: plan.name, type, labels, data });
    if (outcome === 'exists') {
      // Another run won the race: its value is the one; a CA must be re-read so what we sign next matches.
      log(`Secret ${plan.name} was created meanwhile by another run: kept as it is`);
      result.kept.push(plan.name);
      if (plan.kind === 'ca') cas.delete(plan.name);
    } else {
      log(`Secret ${plan.name} created (keys: ${Object.keys(data).join(', ')})`);
      result.created.push(plan.name);
      if (plan.kind === 'ca') cas.set(plan.name, { cert: data['tls.crt']!, key: data['tls.key']! });
    }
  }
  return result;
}

/**
 * Writes every key of Secret `name` as a file in `dir` (mode 0400): the Job's etcd-auth container
 * reads its passwords and client certificate from there, because a Secret *volume* in the Job's pod
 * would hold the pod (and so this init container) until the Secret exists: a deadlock on the first
 * install. 75 when the Secret is not there yet (cert-manager still issuing): the kubelet retries.
 */
export async function copySecretToDir(api: SecretsApi, name: string, dir: string): Promise<string[]> {
  const data = await api.read(name);
  if (!data) throw new EtcdSecretsError(`Secret ${name} does not exist (yet): retrying`, 75);
  fs.mkdirSync(dir, { recursive: true });
  for (const [key, value] of Object.entries(data)) {
    if (!/^[-._a-zA-Z0-9]+$/.test(key)) continue; // a Secret key is this already; never a path
    const file = path.join(dir, key);
    fs.rmSync(file, { force: true }); // a restarted init container finds its own 0400 file
    fs.writeFileSync(file, value, { mode: 0o400 });
  }
  return Object.keys(data);
}
