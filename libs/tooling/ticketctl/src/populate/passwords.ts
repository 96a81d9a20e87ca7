/**
 * Passwords for generated accounts. Hashing each of 100,000 accounts at log-in cost (scrypt
 * N=16384, tens of ms of CPU each) would take over an hour, and a weaker hash is not an option.
 * So populate draws a small pool of random passwords (crypto-random, never from the data seed),
 * hashes each ONCE at full cost with its own salt, and gives account i the pool's (i mod P)-th
 * password and hash. Every stored hash is a full-cost scrypt hash; what is shared is the salt
 * among accounts with the same password, which only reveals that they share it. That is fine for
 * generated demo accounts and never used for a real one (sign-up hashes each password itself).
 */
import { hashPassword } from '@ticketcd/platform';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';

export interface PasswordPool {
  passwords: string[];
  hashes: string[];
}

export async function passwordPool(size: number): Promise<PasswordPool> {
  const passwords = Array.from({ length: size }, () => randomBytes(12).toString('base64url'));
  // scrypt runs on libuv's thread pool: these hash in parallel on every core.
  const hashes = await Promise.all(passwords.map((p) => hashPassword(p)));
  return { passwords, hashes };
}

/** username,password,role lines for the accounts this run created, readable by the owner only. */
export function writeCredentials(file: string, rows: { username: string; password: string; role: string }[]): void {
  const text = ['username,password,role', ...rows.map((r) => `${r.username},${r.password},${r.role}`)].join('\n') + '\n';
  fs.writeFileSync(file, text, { mode: 0o600 });
  fs.chmodSync(file, 0o600);
}
