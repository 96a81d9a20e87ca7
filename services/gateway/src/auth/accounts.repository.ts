/** user: and session: keys. Sessions live on a lease whose TTL is the session's life. */
import { Inject, Injectable } from '@nestjs/common';
import {
  CONFLICT,
  createOnce,
  isAuthError,
  isAvailabilityError,
  localKey,
  retryOnConflict,
  toStoreError,
  type EtcdConnection,
} from '@ticketcd/etcd';
import { keys, parseKey, prefixes } from '@ticketcd/keys';
import { ETCD } from '@ticketcd/platform';
import { ROLES, userRecord, type Role, type UserRecord } from '@ticketcd/contracts';
import type { Watcher } from 'etcd3';

export type { Role, UserRecord };
import { z } from 'zod';

const sessionRecord = z.object({
  username: z.string(),
  role: z.enum(ROLES),
  leaseId: z.string(),
  createdAt: z.string(),
  expiresAt: z.string(),
});
export type SessionRecord = z.infer<typeof sessionRecord>;

@Injectable()
export class AccountsRepository {
  constructor(@Inject(ETCD) private readonly etcd: EtcdConnection) {}

  /** Creates the user unless the name is taken (Create == 0, safe to retry). */
  async createUser(user: UserRecord): Promise<boolean> {
    const r = await createOnce(this.etcd.kv, keys.user(user.username), JSON.stringify(user));
    return r.created || (r.existing !== null && userRecord.parse(JSON.parse(r.existing)).passwordHash === user.passwordHash);
  }

  async getUser(username: string): Promise<UserRecord | null> {
    const v = await this.etcd.kv
      .get(keys.user(username))
      .string()
      .catch((e) => {
        throw toStoreError(e, 'user read');
      });
    return v === null ? null : userRecord.parse(JSON.parse(v));
  }

  /** Makes `username` an admin, creating it with `passwordHash` if missing. */
  async ensureAdmin(user: UserRecord): Promise<'created' | 'promoted' | 'unchanged'> {
    if (await this.createUser(user)) return 'created';
    const key = keys.user(user.username);
    return retryOnConflict({ attempts: 5, what: `promoting ${user.username} to admin` }, async () => {
      const res = await this.etcd.kv.get(key).exec();
      const kv = res.kvs[0];
      if (!kv) return this.ensureAdmin(user);
      const current = userRecord.parse(JSON.parse(kv.value.toString()));
      if (current.role === 'admin') return 'unchanged' as const;
      const txn = await this.etcd.kv
        .if(key, 'Mod', '==', Number(kv.mod_revision))
        .then(this.etcd.kv.put(key).value(JSON.stringify({ ...current, role: 'admin' })))
        .commit();
      return txn.succeeded ? ('promoted' as const) : CONFLICT;
    });
  }

  async createSession(tokenSha256: string, session: Omit<SessionRecord, 'leaseId'>, ttlSeconds: number): Promise<SessionRecord> {
    try {
      const lease = this.etcd.kv.lease(ttlSeconds, { autoKeepAlive: false });
      const leaseId = await lease.grant();
      const record: SessionRecord = { ...session, leaseId };
      // A fresh random token: its key cannot exist, so a retried put writes the same thing.
      await this.etcd.kv.put(keys.session(tokenSha256)).value(JSON.stringify(record)).lease(leaseId).exec();
      lease.release();
      return record;
    } catch (e) {
      throw toStoreError(e, 'session create');
    }
  }

  /**
   * A linearizable read; if etcd cannot answer one now (a leader election, a lost quorum), the
   * member's own copy (serializable) is asked instead, so a buyer's request rides out an election
   * instead of a 503 (issue 25 point 6). That copy may lag the leader by a moment, as the
   * session cache already may; whether a write can go through is the write's own business.
   */
  async getSession(tokenSha256: string): Promise<SessionRecord | null> {
    const key = keys.session(tokenSha256);
    let v: string | null;
    try {
      v = await this.etcd.kv.get(key).string();
    } catch (e) {
      if (!isAvailabilityError(e) || isAuthError(e)) throw toStoreError(e, 'session read');
      try {
        v = await this.etcd.kv.get(key).serializable(true).options(this.etcd.deadline()).string();
      } catch (e2) {
        throw toStoreError(e2, 'session read');
      }
    }
    return v === null ? null : sessionRecord.parse(JSON.parse(v));
  }

  /**
   * Every session that ends from now on (log-out on any instance, lease expiry): a watch on the
   * session: keys' deletes. `onGap` is called whenever ends may have been missed (the watch is
   * (re)starting, disconnected or failed) and `onLive` once it is watching again: the caller
   * trusts its cache long only between the two. Restarts itself until `stop()`.
   */
  watchSessionEnds(handlers: {
    onEnd: (tokenSha256: string) => void;
    onGap: () => void;
    onLive: () => void;
    onError: (e: Error) => void;
  }): {
    stop: () => Promise<void>;
  } {
    let stopped = false;
    let watcher: Watcher | null = null;
    const start = async (pauseMs: number): Promise<void> => {
      handlers.onGap();
      if (stopped) return;
      try {
        const w = await this.etcd.kv.watch().prefix(prefixes.sessions()).create();
        if (stopped) return void (await w.cancel().catch(() => undefined));
        watcher = w;
        w.on('delete', (kv) => {
          const k = parseKey(localKey(this.etcd, kv.key));
          if (k.kind === 'session') handlers.onEnd(k.tokenSha256);
        });
        // etcd3 resumes a broken watch by itself, but may skip events meanwhile: a gap until connected again.
        w.on('disconnected', () => handlers.onGap());
        w.on('connected', () => handlers.onLive());
        w.on('error', (e: Error) => {
          handlers.onError(e);
          if (watcher !== w) return;
          watcher = null;
          void w.cancel().catch(() => undefined);
          setTimeout(() => void start(500), 500).unref();
        });
        handlers.onLive();
      } catch (e) {
        handlers.onError(e as Error);
        setTimeout(() => void start(Math.min(10_000, pauseMs * 2)), pauseMs).unref();
      }
    };
    void start(500);
    return {
      stop: async () => {
        stopped = true;
        handlers.onGap();
        await watcher?.cancel().catch(() => undefined);
      },
    };
  }

  /** Revoking the lease deletes the key with it. */
  async deleteSession(tokenSha256: string, leaseId: string): Promise<void> {
    try {
      await this.etcd.client.leaseClient.leaseRevoke({ ID: leaseId });
    } catch {
      // Lease already gone (expired): make sure the key is too.
    }
    await this.etcd.kv
      .delete()
      .key(keys.session(tokenSha256))
      .exec()
      .catch((e) => {
        throw toStoreError(e, 'session delete');
      });
  }
}
