/**
 * Issue 26 point 2: ticketctl prints no secrets by default. A user registers and logs in through
 * the real gateway (so user: holds a real scrypt passwordHash and session: a real session); the
 * built ticketctl's get, ls, history and watch, readable and --json, must show neither the hash
 * nor the session's value, each replaced by the marker, unless --show-secrets is given.
 * One gateway instance on purpose: the test reads what one registration stored, no invariant of
 * several instances is at stake.
 */
import { createEtcdConnection, type EtcdConnection } from '@ticketcd/etcd';
import { keys, prefixes } from '@ticketcd/keys';
import type { Stack } from '@ticketcd/stack';
import { ApiClient, startPrivateStack, stopPrivateStack, waitFor } from '@ticketcd/testing';
import { runCli, startCli } from './run-cli.js';

const MARKER = '<redacted: use --show-secrets>';
const USER = 'sre-ana';

let stack: Stack;
let etcd: EtcdConnection;
let base: string[];
/** As stored: the user record, its passwordHash, the session key and its value. */
let stored: { userValue: string; hash: string; sessionKey: string; sessionValue: string };

/** Every bit of the secrets that must not appear: the hash, and the session record's own fields. */
function expectNoSecret(output: string) {
  expect(output).not.toContain(stored.hash);
  // The hash's salt and digest (after the scrypt parameters) would be enough to attack it offline.
  expect(output).not.toContain(stored.hash.split('$').slice(-1)[0]!);
  const session = JSON.parse(stored.sessionValue) as { leaseId: string; expiresAt: string };
  expect(output).not.toContain(session.expiresAt);
  expect(output).not.toContain(`"leaseId":"${session.leaseId}"`);
}

beforeAll(async () => {
  stack = await startPrivateStack({ services: ['gateway'], env: { LOG_LEVEL: 'warn' } });
  etcd = createEtcdConnection({ endpoints: stack.etcd.endpoints, deadlineMs: 5000 });
  base = ['--etcd', stack.etcd.endpoints.join(',')];
  await new ApiClient(stack.gatewayUrl!).signIn(USER, 'a long test passphrase');
  const userValue = (await etcd.kv.get(keys.user(USER)).string())!;
  const sessions = await etcd.kv.getAll().prefix(prefixes.sessions()).strings();
  const [sessionKey, sessionValue] = Object.entries(sessions)[0]!;
  stored = { userValue, hash: (JSON.parse(userValue) as { passwordHash: string }).passwordHash, sessionKey, sessionValue };
  expect(stored.hash).toMatch(/^scrypt\$/);
  expect(JSON.parse(sessionValue)).toMatchObject({ username: USER });
}, 180_000);

afterAll(async () => {
  etcd?.close();
  await stopPrivateStack(stack);
});

describe('ticketctl hides secrets by default (issue 26 point 2)', () => {
  it('get: the passwordHash and the session value are the marker; the rest of the user record is shown', async () => {
    const [text, json, session, sessionJson] = await Promise.all([
      runCli([...base, 'get', keys.user(USER)]),
      runCli([...base, 'get', keys.user(USER), '--json']),
      runCli([...base, 'get', stored.sessionKey]),
      runCli([...base, 'get', stored.sessionKey, '--json']),
    ]);
    for (const r of [text, json, session, sessionJson]) {
      expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: '' });
      expectNoSecret(r.stdout);
    }
    expect(text.stdout).toContain(`"passwordHash": "${MARKER}"`);
    expect(text.stdout).toContain(`"username": "${USER}"`);
    const user = JSON.parse(json.stdout) as { value: Record<string, unknown> };
    expect(user.value).toEqual({ ...JSON.parse(stored.userValue), passwordHash: MARKER });
    expect(session.stdout).toContain(`key:       ${stored.sessionKey}\n`);
    expect(session.stdout).toContain(`value:\n${MARKER}\n`);
    expect((JSON.parse(sessionJson.stdout) as { value: unknown }).value).toBe(MARKER);
  });

  it('ls: every user: and session: value redacted, key by key (also under a prefix that spans them)', async () => {
    const runs = await Promise.all([
      runCli([...base, 'ls', prefixes.users()]),
      runCli([...base, 'ls', prefixes.users(), '--json']),
      runCli([...base, 'ls', prefixes.sessions()]),
      runCli([...base, 'ls', prefixes.sessions(), '--json']),
      runCli([...base, 'ls', 's', '--limit', '0', '--json']),
      runCli([...base, 'ls', 'u', '--json']),
    ]);
    for (const r of runs) {
      expect(r.code).toBe(0);
      expectNoSecret(r.stdout);
    }
    const [users, usersJson, sessions, sessionsJson, s, u] = runs;
    expect(users.stdout).toMatch(new RegExp(`^${keys.user(USER)}\\s+\\{.*"passwordHash":"<redacted`, 'm'));
    expect(sessions.stdout).toMatch(new RegExp(`^${stored.sessionKey}\\s+${MARKER}$`, 'm'));
    const valueOf = (out: string, key: string) => (JSON.parse(out) as { key: string; value: unknown }[]).find((i) => i.key === key)?.value;
    expect(valueOf(usersJson.stdout, keys.user(USER))).toMatchObject({ username: USER, passwordHash: MARKER });
    expect(valueOf(sessionsJson.stdout, stored.sessionKey)).toBe(MARKER);
    expect(valueOf(s.stdout, stored.sessionKey)).toBe(MARKER);
    // Other namespaces under the same prefix are printed as stored (the gateway's svc: key).
    expect(valueOf(s.stdout, (JSON.parse(s.stdout) as { key: string }[]).find((i) => i.key.startsWith('svc:'))!.key)).toMatchObject({
      service: 'gateway',
    });
    expect(valueOf(u.stdout, keys.user(USER))).toMatchObject({ passwordHash: MARKER });
  });

  it('history: each revision of a user: or session: key redacted', async () => {
    const [text, json, session] = await Promise.all([
      runCli([...base, 'history', keys.user(USER)]),
      runCli([...base, 'history', keys.user(USER), '--json']),
      runCli([...base, 'history', stored.sessionKey, '--json']),
    ]);
    for (const r of [text, json, session]) {
      expect(r.code).toBe(0);
      expectNoSecret(r.stdout);
    }
    expect(text.stdout).toMatch(/^\d+\s+PUT\s+1\s+\{.*"passwordHash":"<redacted/m);
    const items = (JSON.parse(json.stdout) as { items: { value: Record<string, unknown> }[] }).items;
    expect(items.length).toBeGreaterThan(0);
    for (const i of items) expect(i.value.passwordHash).toBe(MARKER);
    expect((JSON.parse(session.stdout) as { items: { value: unknown }[] }).items.map((i) => i.value)).toEqual([MARKER]);
  });

  it('watch: live and replayed puts of user: and session: keys redacted, readable and --json', async () => {
    const [replayText, replayJson] = await Promise.all([
      runCli([...base, 'watch', prefixes.users(), '--from-revision', '1', '--count', '1', '--timeout', '60']),
      runCli([...base, 'watch', prefixes.users(), '--from-revision', '1', '--count', '1', '--timeout', '60', '--json']),
    ]);
    for (const r of [replayText, replayJson]) {
      expect(r.code).toBe(0);
      expectNoSecret(r.stdout);
    }
    expect(replayText.stdout).toContain(`PUT    ${keys.user(USER)} rev `);
    expect((JSON.parse(replayJson.stdout) as { value: Record<string, unknown> }).value.passwordHash).toBe(MARKER);

    // Live: a second login puts a new session: key while the watch runs.
    const live = startCli([...base, 'watch', prefixes.sessions(), '--json', '--count', '1', '--timeout', '60']);
    await waitFor(() => live.stderr().includes('watching session: from revision'), { what: 'the watch to be live' });
    await new ApiClient(stack.gatewayUrl!).signIn(USER, 'a long test passphrase');
    const r = await live.done;
    expect(r.code).toBe(0);
    const e = JSON.parse(r.stdout) as { type: string; key: string; value: unknown };
    expect(e).toMatchObject({ type: 'put', value: MARKER });
    expect(e.key).toMatch(/^session:[0-9a-f]{64}$/);
    const liveSession = (await etcd.kv.get(e.key).string())!;
    expect(r.stdout).not.toContain((JSON.parse(liveSession) as { expiresAt: string }).expiresAt);
  });
});

describe('ticketctl --show-secrets prints them as stored (issue 26 point 2)', () => {
  it('get, ls, history and watch with --show-secrets', async () => {
    const watchArgs = ['watch', prefixes.users(), '--from-revision', '1', '--count', '1', '--timeout', '60', '--show-secrets'];
    const runs = await Promise.all([
      runCli([...base, 'get', keys.user(USER), '--json', '--show-secrets']),
      runCli([...base, 'ls', prefixes.users(), '--json', '--show-secrets']),
      runCli([...base, 'get', stored.sessionKey, '--show-secrets', '--json']),
      runCli([...base, 'history', keys.user(USER), '--show-secrets', '--json']),
      runCli([...base, ...watchArgs, '--json']),
      runCli([...base, 'history', keys.user(USER), '--show-secrets']),
    ]);
    for (const r of runs) {
      expect(r.code).toBe(0);
      expect(r.stdout).not.toContain(MARKER);
    }
    const [get, ls, session, history, watch, historyText] = runs;
    expect((JSON.parse(get.stdout) as { value: unknown }).value).toEqual(JSON.parse(stored.userValue));
    expect(ls.stdout).toContain(stored.hash);
    expect((JSON.parse(session.stdout) as { value: unknown }).value).toEqual(JSON.parse(stored.sessionValue));
    expect(history.stdout).toContain(stored.hash);
    expect(watch.stdout).toContain(stored.hash);
    // The readable form cuts a long value to one line: the hash's start is there.
    expect(historyText.stdout).toContain(`"passwordHash":"scrypt$`);
  });
});
