/**
 * Accounts and sessions. A session token is 32 random bytes; only its sha256 is stored
 * (`session:<sha256>`), so a leaked store does not leak usable tokens.
 */
import { Inject, Injectable, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
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

/** How long a session seen ended is remembered: longer than any read of it can take (etcd deadline). */
const ENDED_KEEP_MS = 60_000;

/**
 * Sessions on the hot path without an etcd read (issue 17.3). Each instance caches the sessions it
 * read and watches the session: keys' deletes (log-out on any instance, lease expiry), so a
 * logged-out session is refused here as soon as the delete's event arrives (milliseconds).
 * While that watch is live a cached session is trusted for SESSION_WATCH_CACHE_MS; whenever it
 * is not (starting, disconnected, failed: etcd3 may skip events while it resumes), no entry is
 * trusted longer than SESSION_CACHE_MS (1 s), the guarantee without a watch. A read that began
 * before a gap is not cached long (epochs), and a token whose key was deleted is refused even if
 * a read racing the delete returns it (`ended`): tokens are random, a session never comes back.
 */
@Injectable()
export class AuthService implements OnModuleInit, OnModuleDestroy {
  /** Sessions this instance read recently: tokenSha256 -> record, valid until `until`. */
  private readonly cache = new Map<string, { session: SessionRecord; until: number }>();
  /** Reads in progress, so that concurrent requests of one session make one etcd read. */
  private readonly reading = new Map<string, Promise<SessionRecord | null>>();
  /** Sessions seen ended (deleted) -> when. */
  private readonly ended = new Map<string, number>();
  private watchLive = false;
  /** Bumped at every gap in the watch: a read spanning one is not trusted long. */
  private epoch = 0;
  private watch: { stop: () => Promise<void> } | null = null;

  constructor(
    private readonly accounts: AccountsRepository,
    @Inject(SERVICE_CONFIG) private readonly config: GatewayConfig,
    private readonly log: PinoLogger,
  ) {
    log.setContext(AuthService.name);
  }

  async onModuleInit() {
    if (this.config.SESSION_WATCH_CACHE_MS > 0) {
      this.watch = this.accounts.watchSessionEnds({
        onEnd: (tokenSha256) => this.forget(tokenSha256),
        onGap: () => {
          this.watchLive = false;
          this.epoch++;
          // Events may be missed from now on: back to the short trust.
          const cap = Date.now() + this.config.SESSION_CACHE_MS;
          for (const e of this.cache.values()) e.until = Math.min(e.until, cap);
        },
        onLive: () => {
          this.watchLive = true;
        },
        onError: (err) => this.log.warn({ err }, 'session watch failed; sessions are trusted for SESSION_CACHE_MS until it is back'),
      });
    }
    await this.createFirstAdmin();
  }

  async onModuleDestroy() {
    await this.watch?.stop();
  }

  /** A session that ended (here or on any instance): refused from now on. */
  private forget(tokenSha256: string) {
    const now = Date.now();
    this.cache.delete(tokenSha256);
    this.ended.set(tokenSha256, now);
    if (this.ended.size > 10_000) for (const [k, at] of this.ended) if (at < now - ENDED_KEEP_MS) this.ended.delete(k);
  }

  private async createFirstAdmin() {
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
    const epoch = this.epoch;
    const session = await this.accounts.createSession(
      sha256(token),
      { username, role: user.role, createdAt: new Date(now).toISOString(), expiresAt },
      this.config.SESSION_TTL_S,
    );
    // The next request (often an order) need not read it back.
    this.remember(sha256(token), session, epoch);
    return { token, me: toMe(user), expiresAt };
  }

  async logout(principal: Principal): Promise<void> {
    const session = await this.accounts.getSession(principal.tokenSha256);
    this.forget(principal.tokenSha256);
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
      let read = this.reading.get(tokenSha256);
      if (!read) {
        read = this.read(tokenSha256).finally(() => this.reading.delete(tokenSha256));
        this.reading.set(tokenSha256, read);
      }
      session = await read;
      if (!session) return null;
    }
    // The lease removes the key at expiry; a cached copy must not outlive it either.
    if (Date.parse(session.expiresAt) <= Date.now()) return null;
    return { username: session.username, role: session.role, tokenSha256 };
  }

  private async read(tokenSha256: string): Promise<SessionRecord | null> {
    const epoch = this.epoch;
    const session = await this.accounts.getSession(tokenSha256);
    if (!session || this.ended.has(tokenSha256)) {
      this.cache.delete(tokenSha256);
      return null;
    }
    this.remember(tokenSha256, session, epoch);
    return session;
  }

  /** Caches a session read (or created) in `epoch`: long only if the watch was live all along. */
  private remember(tokenSha256: string, session: SessionRecord, epoch: number) {
    const watched = this.watchLive && epoch === this.epoch;
    const ms = watched ? Math.max(this.config.SESSION_WATCH_CACHE_MS, this.config.SESSION_CACHE_MS) : this.config.SESSION_CACHE_MS;
    if (ms <= 0) return;
    if (this.cache.size > 100_000) this.cache.clear();
    this.cache.set(tokenSha256, { session, until: Date.now() + ms });
  }
}

const toMe = (u: { username: string; name: string; email: string; role: Role; createdAt: string }): Me => ({
  username: u.username,
  name: u.name,
  email: u.email,
  role: u.role,
  createdAt: u.createdAt,
});
