/**
 * Issue 29.3: client certificates renewed under a running process. Kubernetes updates a mounted
 * Secret by swapping a symlink (cert-manager renews before expiry; a new CA revokes the old
 * certificates): the PEM files are polled (a few KB every 30 s by default) and a complete,
 * consistent set (the key matches the certificate) is handed to grpc-js through its
 * certificate-provider credentials, which build each NEW connection's TLS context from the latest
 * set. The Etcd3 client, its channels, watches and leases stay as they are: an established
 * connection keeps its handshake (TLS checks certificates only there) and, when it drops (e.g. a
 * member restarted to trust only a new CA), reconnects with the new certificate.
 */
import { experimental, type ChannelCredentials } from '@grpc/grpc-js';
import type { Etcd3, IOptions } from 'etcd3';
import fs from 'node:fs';
import tls from 'node:tls';

export interface TlsFiles {
  caFile?: string;
  certFile?: string;
  keyFile?: string;
}

type Credentials = NonNullable<IOptions['credentials']>;

interface Material {
  ca?: Buffer;
  cert?: Buffer;
  key?: Buffer;
}

const same = (a: Buffer | undefined, b: Buffer | undefined) => (a && b ? a.equals(b) : a === b);

/** The three files' contents, checked as one set: createSecureContext throws on a key that does not match its certificate or bad PEM. */
function checked(m: Material): Material {
  tls.createSecureContext({ ...(m.ca ? { ca: m.ca } : {}), ...(m.cert ? { cert: m.cert, key: m.key } : {}) });
  return m;
}

export class ReloadingTls implements experimental.CertificateProvider {
  private material: Material;
  private readonly caListeners = new Set<experimental.CaCertificateUpdateListener>();
  private readonly identityListeners = new Set<experimental.IdentityCertificateUpdateListener>();
  private readonly timer: NodeJS.Timeout;
  private reading: Promise<boolean> | null = null;
  private grpcCredentials: ChannelCredentials | null = null;
  /** New sets taken up since the start, and why the last read set was refused (the previous one stays in use). */
  reloads = 0;
  lastError: string | null = null;

  /** Reads the files now (a missing or broken file fails here, at start) and then every `intervalMs`. */
  constructor(
    readonly files: TlsFiles,
    readonly intervalMs = 30_000,
  ) {
    const read = (f: string | undefined) => (f ? fs.readFileSync(f) : undefined);
    this.material = checked({ ca: read(files.caFile), cert: read(files.certFile), key: read(files.keyFile) });
    this.timer = setInterval(() => void this.check(), intervalMs);
    // The poll never keeps a process alive on its own.
    this.timer.unref();
  }

  /** etcd3's static credentials from the current set: for clients made per call (status, defrag, backup). */
  get credentials(): Credentials {
    // grpc-js takes a null root certificate as "the system's roots".
    return { rootCertificate: this.material.ca as Buffer, privateKey: this.material.key, certChain: this.material.cert };
  }

  /** One ChannelCredentials for every channel of this source: each new connection takes the latest set. */
  channelCredentials(): ChannelCredentials {
    this.grpcCredentials ??= experimental.createCertificateProviderChannelCredentials(this, this.material.cert ? this : null);
    return this.grpcCredentials;
  }

  /** Reads the files again; true when a changed, consistent set was taken up. */
  check(): Promise<boolean> {
    this.reading ??= this.read().finally(() => (this.reading = null));
    return this.reading;
  }

  close(): void {
    clearInterval(this.timer);
  }

  private async read(): Promise<boolean> {
    const read = (f: string | undefined) => (f ? fs.promises.readFile(f) : Promise.resolve(undefined));
    try {
      const [ca, cert, key] = await Promise.all([read(this.files.caFile), read(this.files.certFile), read(this.files.keyFile)]);
      const m = this.material;
      if (same(ca, m.ca) && same(cert, m.cert) && same(key, m.key)) return false;
      // A half-swapped set (new certificate, old key) is refused here and read again next time.
      this.material = checked({ ca, cert, key });
      this.lastError = null;
      this.reloads++;
      for (const l of this.caListeners) l(this.caUpdate());
      for (const l of this.identityListeners) l(this.identityUpdate());
      return true;
    } catch (e) {
      this.lastError = (e as Error).message;
      return false;
    }
  }

  private caUpdate(): experimental.CaCertificateUpdate {
    return { caCertificate: this.material.ca ?? Buffer.from(tls.rootCertificates.join('\n')) };
  }

  private identityUpdate(): experimental.IdentityCertificateUpdate | null {
    return this.material.cert && this.material.key ? { certificate: this.material.cert, privateKey: this.material.key } : null;
  }

  // grpc-js's CertificateProvider: listeners get the current set at once, then each new one.
  addCaCertificateListener(listener: experimental.CaCertificateUpdateListener): void {
    this.caListeners.add(listener);
    process.nextTick(listener, this.caUpdate());
  }
  removeCaCertificateListener(listener: experimental.CaCertificateUpdateListener): void {
    this.caListeners.delete(listener);
  }
  addIdentityCertificateListener(listener: experimental.IdentityCertificateUpdateListener): void {
    this.identityListeners.add(listener);
    process.nextTick(listener, this.identityUpdate());
  }
  removeIdentityCertificateListener(listener: experimental.IdentityCertificateUpdateListener): void {
    this.identityListeners.delete(listener);
  }
}

/** The shape of etcd3 1.1.2's connection pool this module relies on (checked, not assumed). */
interface PoolInternals {
  hosts: { channelCredentials: unknown; cachedServices: Record<string, unknown> }[];
  authenticator: { credentials: unknown };
}

/**
 * Gives a just-made Etcd3 client the reloading credentials. etcd3 builds static SSL credentials
 * from `credentials` in its constructor and opens no channel before the first call, so replacing
 * them on its hosts and authenticator covers every channel it will open (calls, watches, leases,
 * logins). Throws when etcd3's internals are not what this expects (an etcd3 upgrade).
 */
export function useReloadingTls(client: Etcd3, source: ReloadingTls): void {
  const pool = (client as unknown as { pool?: Partial<PoolInternals> }).pool;
  const ok =
    pool !== undefined &&
    Array.isArray(pool.hosts) &&
    pool.hosts.every((h) => 'channelCredentials' in h && Object.keys(h.cachedServices ?? {}).length === 0) &&
    typeof pool.authenticator === 'object' &&
    pool.authenticator !== null &&
    'credentials' in pool.authenticator;
  if (!ok) throw new Error('etcd3 client internals are not those of etcd3 1.1.2: cannot install reloading TLS credentials (tls-reload.ts)');
  const credentials = source.channelCredentials();
  for (const h of pool.hosts!) h.channelCredentials = credentials;
  pool.authenticator!.credentials = credentials;
}
