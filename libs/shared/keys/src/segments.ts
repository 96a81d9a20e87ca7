/**
 * Segment validation for the etcd key schema. Every key is `:`-separated, so a segment that
 * contained `:` (or `/`, which etcd tooling treats as a path) would let one key masquerade as
 * another; every builder validates every segment before it joins them.
 */
import { createHash } from 'node:crypto';

/** Thrown when a key segment is malformed; the message names the segment and the rule. */
export class KeySegmentError extends Error {
  override readonly name = 'KeySegmentError';
  constructor(
    readonly segment: string,
    readonly value: unknown,
    readonly rule: string,
  ) {
    super(`invalid ${segment} ${describe(value)}: ${rule}`);
  }
}

function describe(value: unknown): string {
  if (typeof value !== 'string') return `(${value === null ? 'null' : typeof value})`;
  const shown = value.length > 40 ? `${value.slice(0, 40)}…` : value;
  return JSON.stringify(shown);
}

export const MAX_SEGMENT_LENGTH = 128;

/** Rules shared by every segment: a non-empty string with no separator and no control character. */
export function assertSegment(segment: string, value: unknown, maxLength = MAX_SEGMENT_LENGTH): string {
  if (typeof value !== 'string') throw new KeySegmentError(segment, value, 'must be a string');
  if (value.length === 0) throw new KeySegmentError(segment, value, 'must not be empty');
  if (value.length > maxLength) {
    throw new KeySegmentError(segment, value, `must be at most ${maxLength} characters (got ${value.length})`);
  }
  if (value.includes(':')) throw new KeySegmentError(segment, value, "must not contain ':'");
  if (value.includes('/')) throw new KeySegmentError(segment, value, "must not contain '/'");
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(value)) throw new KeySegmentError(segment, value, 'must not contain control characters');
  return value;
}

function assertPattern(segment: string, value: unknown, pattern: RegExp, rule: string, maxLength?: number): string {
  const v = assertSegment(segment, value, maxLength);
  if (!pattern.test(v)) throw new KeySegmentError(segment, value, rule);
  return v;
}

export const USERNAME_PATTERN = /^[a-z0-9_.-]{3,32}$/;
const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
// Crockford base32, first char <= 7 so the 128-bit value does not overflow.
const ULID_PATTERN = /^[0-7][0-9A-HJKMNP-TV-Z]{25}$/;
const SHA256_HEX_PATTERN = /^[0-9a-f]{64}$/;
/** Static-list values (locations, event types, ticket types) and service names. */
export const SLUG_PATTERN = /^[a-z0-9](?:[a-z0-9-]{0,30}[a-z0-9])?$/;
/** Instance ids come from pod names or host-pid pairs. */
const INSTANCE_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/;
/** Search terms: letters and digits of any script, already normalised by the tokenizer. */
const TERM_PATTERN = /^[\p{L}\p{N}]+$/u;
export const MAX_TERM_LENGTH = 64;

export const isUsername = (v: unknown): v is string => typeof v === 'string' && USERNAME_PATTERN.test(v);
export const isId = (v: unknown): v is string => typeof v === 'string' && (UUID_PATTERN.test(v) || ULID_PATTERN.test(v));
export const isSlug = (v: unknown): v is string => typeof v === 'string' && SLUG_PATTERN.test(v);

export const seg = {
  username: (v: unknown) => assertPattern('username', v, USERNAME_PATTERN, 'must be 3-32 characters of a-z, 0-9, _ . -', 32),
  /** Entity ids: lower-case UUID or ULID. */
  id: (segment: string, v: unknown) => {
    const s = assertSegment(segment, v, 36);
    if (!UUID_PATTERN.test(s) && !ULID_PATTERN.test(s)) {
      throw new KeySegmentError(segment, v, 'must be a lower-case UUID or a ULID');
    }
    return s;
  },
  sha256: (segment: string, v: unknown) => assertPattern(segment, v, SHA256_HEX_PATTERN, 'must be 64 lower-case hex characters', 64),
  slug: (segment: string, v: unknown) =>
    assertPattern(segment, v, SLUG_PATTERN, 'must be 1-32 characters of a-z, 0-9 and -, not starting or ending with -', 32),
  instance: (v: unknown) => assertPattern('instance id', v, INSTANCE_PATTERN, 'must be 1-63 characters of A-Z a-z 0-9 _ . -', 63),
  term: (v: unknown) => assertPattern('search term', v, TERM_PATTERN, 'must be letters and digits only', MAX_TERM_LENGTH),
  /** A term prefix for prefix search: same alphabet as a term, may be shorter than a whole word. */
  termPrefix: (v: unknown) => assertPattern('search term prefix', v, TERM_PATTERN, 'must be letters and digits only', MAX_TERM_LENGTH),
};

/**
 * A key-safe id derived from its parts: the same parts always name the same id (a retried
 * order, a redelivered alert), different parts practically never do. sha256 of the parts' JSON
 * (no two different lists serialize alike), formatted as a version-8 (custom) UUID.
 */
export function derivedId(...parts: (string | number)[]): string {
  const h = createHash('sha256').update(JSON.stringify(parts)).digest('hex');
  const variant = ((parseInt(h[16]!, 16) & 0x3) | 0x8).toString(16);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-8${h.slice(13, 16)}-${variant}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}
