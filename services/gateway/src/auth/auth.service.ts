/**
 * Accounts and sessions. A session token is 32 random bytes; only its sha256 is stored
 * (`session:<sha256>`), so a leaked store does not leak usable tokens.
 */
import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { nowOrInBackground, SERVICE_CONFIG } from '@ticketcd/platform';
import { PinoLogger } from 'nestjs-pino';
import { createHash, randomBytes } from 'node:crypto';
import type { GatewayConfig } from '../gateway.config.js';
import { ApiError } from '../http/api-error.js';
import { AccountsRepository, type Role, type SessionRecord } from './accounts.repository.js';
import { DUMMY_HASH, hashPassword, verifyPassword } from '@ticketcd/platform';

export interface Principal {
  username: string;
  role: Role;
  tokenSha256: string;
}

export interface Me {
  username: string;
  name: string;
  email: string;
  role: Role;
  createdAt: string;
}

export const sha256 = (token: string) => createHash('sha256').update(token).digest('hex');

@Injectable()
export class AuthService implements OnModuleInit {
  /** Sessions this instance read recently: tokenSha256 -> record, valid until `until`. */
  private readonly cache = new Map<string, { session: SessionRecord; until: number }>();

  constructor(
    private readonly accounts: AccountsRepository,
    @Inject(SERVICE_CONFIG) private readonly config: GatewayConfig,
    private readonly log: PinoLogger,
  ) {
    log.setContext(AuthService.name);
  }

  async onModuleInit() {
    const { ADMIN_USERNAME: username, ADMIN_PASSWORD: password } = this.config;
    if (!username || !password) return;
    const passwordHash = await hashPassword(password);
    await nowOrInBackground(
      'the first admin',
      async () => {
        const outcome = await this.accounts.ensureAdmin({
          username,
          name: 'Administrator',
          email: '',
          passwordHash,
          role: 'admin',
          createdAt: new Date().toISOString(),
        });
        this.log.info({ username, outcome }, 'first admin');
      },
      this.log,
    );
  }

  async register(input: { username: string; password: string; name: string; email: string }): Promise<Me> {
    // The first admin's name is reserved: while etcd keeps its creation waiting (auth not set up
    // yet), registering it first must not make someone else's account the one ensureAdmin promotes.
    if (input.username === this.config.ADMIN_USERNAME) throw ApiError.conflict(`username ${input.username} is taken`);
    const user = {
      username: input.username,
      name: input.name,
      email: input.email,
      passwordHash: await hashPassword(input.password),
      role: 'user' as const,
      createdAt: new Date().toISOString(),
    };
    if (!(await this.accounts.createUser(user))) throw ApiError.conflict(`username ${input.username} is taken`);
    return toMe(user);
  }

  /** A new session for valid credentials; the same 401 whether the user or the password is wrong. */
  async login(username: string, password: string): Promise<{ token: string; me: Me; expiresAt: string }> {
    const user = await this.accounts.getUser(username);
    const ok = await verifyPassword(password, user?.passwordHash ?? DUMMY_HASH);
    if (!user || !ok) throw ApiError.unauthenticated('wrong username or password');
    const token = randomBytes(32).toString('base64url');
    const now = Date.now();
    const expiresAt = new Date(now + this.config.SESSION_TTL_S * 1000).toISOString();
    await this.accounts.createSession(
      sha256(token),
      { username, role: user.role, createdAt: new Date(now).toISOString(), expiresAt },
      this.config.SESSION_TTL_S,
    );
    return { token, me: toMe(user), expiresAt };
  }

  async logout(principal: Principal): Promise<void> {
    const session = await this.accounts.getSession(principal.tokenSha256);
    this.cache.delete(principal.tokenSha256);
    if (session) await this.accounts.deleteSession(principal.tokenSha256, session.leaseId);
  }

  async me(principal: Principal): Promise<Me> {
    const user = await this.accounts.getUser(principal.username);
    if (!user) throw ApiError.unauthenticated('this account no longer exists');
    return toMe(user);
  }

  /** Anyone's account as an admin sees it (no hash, no session). */
  async profile(username: string): Promise<Me> {
    const user = await this.accounts.getUser(username);
    if (!user) throw ApiError.notFound(`no user ${username}`);
    return toMe(user);
  }

  /** The principal a token names, or null if it names no live session. */
  async principal(token: string): Promise<Principal | null> {
    if (!/^[A-Za-z0-9_-]{20,100}$/.test(token)) return null;
    const tokenSha256 = sha256(token);
    const now = Date.now();
    const cached = this.cache.get(tokenSha256);
    let session = cached && cached.until > now ? cached.session : null;
    if (!session) {
      session = await this.accounts.getSession(tokenSha256);
      if (!session) {
        this.cache.delete(tokenSha256);
        return null;
      }
      if (this.config.SESSION_CACHE_MS > 0) {
        if (this.cache.size > 100_000) this.cache.clear();
        this.cache.set(tokenSha256, { session, until: now + this.config.SESSION_CACHE_MS });
      }
    }
    // The lease removes the key at expiry; a cached copy must not outlive it either.
    if (Date.parse(session.expiresAt) <= now) return null;
    return { username: session.username, role: session.role, tokenSha256 };
  }
}

const toMe = (u: { username: string; name: string; email: string; role: Role; createdAt: string }): Me => ({
  username: u.username,
  name: u.name,
  email: u.email,
  role: u.role,
  createdAt: u.createdAt,
});
