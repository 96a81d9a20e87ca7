/**
 * Issue 26 point 2: what ticketctl does not print unless asked (`--show-secrets`). This module alone
 * decides it, by the key's kind (parseKey of @ticketcd/keys) and, inside a record, by field;
 * get, ls, history and watch (readable and --json) pass every value through `redactValue`.
 *
 * - `user:<name>` holds the account with its scrypt `passwordHash`. Only the fields named in
 *   `shown` (username, name, email, role, createdAt: what an SRE needs) are printed; every other
 *   field is the marker, so a credential field added to the record later is hidden until someone
 *   decides it is safe to show (a unit test fails when the contract grows a field not listed here).
 * - `session:<sha256 of the token>` holds who the session is for. The token is never stored, and
 *   its sha256 cannot be presented in its place (the gateway hashes what it is sent), so the key
 *   is shown: an operator can count and delete sessions. The value, which ties that hash to an
 *   account, is hidden whole, as the gateway's admin history refuses session: keys.
 *
 * A key of those namespaces that does not parse (written by hand, or by a bug) is judged by its
 * namespace all the same, and a user value that is not a JSON object is hidden whole: when in doubt,
 * hide. No other namespace holds a credential: events, tickets, sales, orders, purchases,
 * favourites, subscriptions, alerts, the search index, stats, outbox entries (catalog, inventory
 * and notifier events) and svc:/partition: registrations carry no password, hash or token.
 */
import { KeyParseError, parseKey, SEP, type KeyKind } from '@ticketcd/keys';

/** What is printed in place of a hidden value or field. */
export const REDACTED = '<redacted: use --show-secrets>';

export interface SecretRule {
  /** Why the namespace is secret (for docs and tests). */
  holds: string;
  /**
   * The fields of its JSON record that are printed as they are; every other field is the marker.
   * Absent: the whole value is the marker.
   */
  shown?: readonly string[];
}

export const SECRET_RULES: Readonly<Partial<Record<KeyKind, SecretRule>>> = {
  user: { holds: 'the password hash', shown: ['username', 'name', 'email', 'role', 'createdAt'] },
  session: { holds: 'which account a session token hash belongs to' },
};

/** The rule for a key, or null when its values are printed as stored. */
export function secretRuleOf(key: string): SecretRule | null {
  let kind: string;
  try {
    kind = parseKey(key).kind;
  } catch (e) {
    if (!(e instanceof KeyParseError)) throw e;
    // Not a key of the schema: its namespace decides, so a malformed user: key is still hidden.
    kind = key.split(SEP)[0]!;
  }
  return Object.hasOwn(SECRET_RULES, kind) ? SECRET_RULES[kind as KeyKind]! : null;
}

/** The value as it may be printed: secret fields (or the whole value) replaced by REDACTED. */
export function redactValue(key: string, value: string): string {
  const rule = secretRuleOf(key);
  if (!rule) return value;
  if (!rule.shown) return REDACTED;
  let record: unknown;
  try {
    record = JSON.parse(value);
  } catch {
    return REDACTED;
  }
  if (record === null || typeof record !== 'object' || Array.isArray(record)) return REDACTED;
  const out: Record<string, unknown> = {};
  for (const [field, v] of Object.entries(record)) out[field] = rule.shown.includes(field) ? v : REDACTED;
  return JSON.stringify(out);
}

/** What every query command prints: the value redacted unless `--show-secrets` was given. */
export function printable(key: string, value: string, showSecrets: boolean): string;
export function printable(key: string, value: string | null, showSecrets: boolean): string | null;
export function printable(key: string, value: string | null, showSecrets: boolean): string | null {
  return value === null || showSecrets ? value : redactValue(key, value);
}
