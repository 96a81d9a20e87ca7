/** Pure helpers of the query commands: argument checks and one-line renderings (unit-tested). */
import { CliError, jsonValue } from '../output.js';

/** Printable ASCII only: what the schema's keys are made of, and what a terminal shows as typed. */
const PRINTABLE = /^[\x20-\x7e]+$/;

/** A key or prefix argument: non-empty printable ASCII, else a usage error (exit 2). */
export function checkKeyArg(value: string | undefined, what: 'key' | 'prefix'): string {
  if (value === undefined || value === '') throw new CliError(`the ${what} must not be empty`, 2);
  if (!PRINTABLE.test(value)) {
    throw new CliError(`the ${what} ${JSON.stringify(value)} contains characters outside printable ASCII (0x20-0x7e)`, 2);
  }
  return value;
}

/** A non-negative integer option (`--limit 0` means all), else a usage error. */
export function parseCount(raw: string | undefined, option: string, fallback: number, min = 0): number {
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!/^\d+$/.test(raw.trim()) || !Number.isSafeInteger(n) || n < min) {
    throw new CliError(`${option} must be an integer >= ${min} (got ${JSON.stringify(raw)})`, 2);
  }
  return n;
}

/** A value on one line, at most `max` characters (JSON compacted; control characters escaped). */
export function oneLine(value: string, max = 80): string {
  let s = value;
  const t = value.trimStart();
  if (t.startsWith('{') || t.startsWith('[')) {
    try {
      s = JSON.stringify(JSON.parse(value));
    } catch {
      // not JSON after all: shown as it is
    }
  }
  // eslint-disable-next-line no-control-regex
  s = s.replace(/[\x00-\x1f\x7f]/g, (c) =>
    c === '\n' ? '\\n' : c === '\t' ? '\\t' : `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`,
  );
  return s.length > max ? `${s.slice(0, Math.max(1, max - 1))}…` : s;
}

/** A lease id as etcdctl prints it (hex), or null when the key has none. */
export function leaseOf(lease: string | number | undefined | null): string | null {
  if (lease === undefined || lease === null || String(lease) === '0') return null;
  return BigInt(String(lease)).toString(16);
}

/** One key as `get --json` and `ls --json` print it. */
export interface KeyRecord {
  key: string;
  value: unknown;
  createRevision: number;
  modRevision: number;
  version: number;
  lease: string | null;
}

export function keyRecord(kv: {
  key: string;
  value: string;
  createRevision: number;
  modRevision: number;
  version: number;
  lease?: string | null;
}): KeyRecord {
  return {
    key: kv.key,
    value: jsonValue(kv.value),
    createRevision: kv.createRevision,
    modRevision: kv.modRevision,
    version: kv.version,
    lease: kv.lease ?? null,
  };
}

/** One history entry: a put (with its value) or a delete (a tombstone). */
export interface HistoryItem {
  type: 'put' | 'delete';
  modRevision: number;
  /** Version of the key after the put (0 for a delete). */
  version: number;
  value: string | null;
}

/** A watch event, as `watch --json` prints it (one object per line). */
export interface WatchEvent {
  time: string;
  type: 'put' | 'delete';
  key: string;
  modRevision: number;
  value: string | null;
}

export function watchLine(e: WatchEvent, width = 60): string {
  const what = e.type === 'put' ? 'PUT   ' : 'DELETE';
  return `${e.time} ${what} ${e.key} rev ${e.modRevision}${e.value !== null ? ` ${oneLine(e.value, width)}` : ''}`;
}

export function watchJson(e: WatchEvent): string {
  return JSON.stringify({ ...e, value: e.value === null ? null : jsonValue(e.value) });
}

/** Bytes for people: 1.5 MiB. */
export function bytes(n: number | undefined): string {
  if (n === undefined) return '-';
  if (n < 1024) return `${n} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(v < 10 ? 1 : 0)} ${units[i]}`;
}
