/**
 * Issue 29.2: the secret material `etcd-secrets ensure` creates, made with node:crypto (passwords,
 * the RS256 JWT key pair) and @peculiar/x509 over node's webcrypto (the etcd CA and its
 * certificates). Nothing here talks to Kubernetes; nothing here is ever logged.
 */
import { createPrivateKey, generateKeyPairSync, KeyObject, randomBytes, randomInt, webcrypto, X509Certificate } from 'node:crypto';
import { isIP } from 'node:net';

const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** `length` characters from [A-Za-z0-9], uniformly (randomInt has no modulo bias): safe in env and files. */
export function randomPassword(length = 32): string {
  let out = '';
  for (let i = 0; i < length; i++) out += ALNUM[randomInt(ALNUM.length)];
  return out;
}

/** etcd's `--auth-token jwt,sign-method=RS256,priv-key=...,pub-key=...`: PKCS#8 and SPKI PEM. */
export function jwtKeyPair(): { 'jwt.key': string; 'jwt.pub': string } {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', {
    modulusLength: 2048,
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
    publicKeyEncoding: { type: 'spki', format: 'pem' },
  });
  return { 'jwt.key': privateKey, 'jwt.pub': publicKey };
}

/** A certificate and its key, PEM (the `tls.crt` / `tls.key` of a kubernetes.io/tls Secret). */
export interface Pem {
  cert: string;
  key: string;
}

/** peer: etcd member to member (server and client); server: the client port; client: a user (CN). */
export type CertRole = 'peer' | 'server' | 'client';

// Loaded on use: only a TLS run needs them (and reflect-metadata must come before @peculiar/x509).
async function x509lib() {
  await import('reflect-metadata');
  const x509 = await import('@peculiar/x509');
  // `as never` here and below: node's webcrypto types against the DOM types the library is typed
  // with (tsconfig.check.json loads the DOM lib, the build does not); the objects are the same.
  x509.cryptoProvider.set(webcrypto as never);
  return x509;
}

const EC = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
const DAY = 86_400_000;
// A node whose clock is a little behind must still accept a certificate made just now.
const SKEW = 5 * 60_000;

function serial(): string {
  const b = randomBytes(16);
  b[0] = b[0]! & 0x7f; // positive
  return b.toString('hex');
}

async function newKeys() {
  return (await webcrypto.subtle.generateKey(EC, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
}

const keyPem = (k: webcrypto.CryptoKey) => KeyObject.from(k).export({ type: 'pkcs8', format: 'pem' }).toString();

/** A self-signed CA (ECDSA P-256) for `days`. */
export async function createCa(commonName: string, days: number): Promise<Pem> {
  const x509 = await x509lib();
  const keys = await newKeys();
  const now = Date.now();
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial(),
    name: `CN=${commonName}`,
    notBefore: new Date(now - SKEW),
    notAfter: new Date(now + days * DAY),
    keys: keys as never,
    signingAlgorithm: EC,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey as never),
    ],
  });
  return { cert: cert.toString('pem'), key: keyPem(keys.privateKey) };
}

/** The CA's key as a webcrypto signing key (EC or RSA: a CA someone else put in the Secret may be RSA). */
async function signingKeyOf(
  keyPemText: string,
): Promise<{ key: webcrypto.CryptoKey; algorithm: { name: string; hash: string; namedCurve?: string } }> {
  const ko = createPrivateKey(keyPemText);
  const der = ko.export({ type: 'pkcs8', format: 'der' });
  if (ko.asymmetricKeyType === 'ec') {
    const curve = ko.asymmetricKeyDetails?.namedCurve === 'secp384r1' ? 'P-384' : 'P-256';
    const algorithm = { name: 'ECDSA', namedCurve: curve, hash: curve === 'P-384' ? 'SHA-384' : 'SHA-256' };
    return { key: await webcrypto.subtle.importKey('pkcs8', der, algorithm, false, ['sign']), algorithm };
  }
  if (ko.asymmetricKeyType === 'rsa') {
    const algorithm = { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' };
    return { key: await webcrypto.subtle.importKey('pkcs8', der, algorithm, false, ['sign']), algorithm };
  }
  throw new Error(`unsupported CA key type ${ko.asymmetricKeyType} (EC or RSA)`);
}

/** A certificate signed by `ca` for `days`: CN, SANs (DNS names, `*.` wildcards, IPs) and the role's key usages. */
export async function issueCert(ca: Pem, o: { commonName: string; role: CertRole; sans?: string[]; days: number }): Promise<Pem> {
  const x509 = await x509lib();
  const caCert = new x509.X509Certificate(ca.cert);
  const signer = await signingKeyOf(ca.key);
  const keys = await newKeys();
  const now = Date.now();
  const usages =
    o.role === 'client' ? [x509.ExtendedKeyUsage.clientAuth] : [x509.ExtendedKeyUsage.serverAuth, x509.ExtendedKeyUsage.clientAuth];
  const sans = (o.sans ?? []).map((s) => (isIP(s) ? { type: 'ip' as const, value: s } : { type: 'dns' as const, value: s }));
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: serial(),
    subject: `CN=${o.commonName}`,
    issuer: caCert.subject,
    notBefore: new Date(now - SKEW),
    notAfter: new Date(Math.min(now + o.days * DAY, caCert.notAfter.getTime())),
    publicKey: keys.publicKey as never,
    signingKey: signer.key as never,
    signingAlgorithm: signer.algorithm,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      // ECDSA keys sign (the TLS handshake); they never encipher a key.
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension(usages),
      ...(sans.length ? [new x509.SubjectAlternativeNameExtension(sans)] : []),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey as never),
      await x509.AuthorityKeyIdentifierExtension.create(caCert),
    ],
  });
  return { cert: cert.toString('pem'), key: keyPem(keys.privateKey) };
}

/** Whether `certPem` was signed by the CA certificate `caPem` (a leaf made under an older CA is not). */
export function signedBy(certPem: string, caPem: string): boolean {
  try {
    return new X509Certificate(certPem).verify(new X509Certificate(caPem).publicKey);
  } catch {
    return false;
  }
}
