/** Issue 16 point 3: the pure helpers of get/ls/history/watch (argument checks, one-line values). */
import { CliError } from '../output.js';
import { bytes, checkKeyArg, keyRecord, leaseOf, oneLine, parseCount, watchJson, watchLine } from './format.js';

describe('checkKeyArg', () => {
  it('accepts printable ASCII', () => {
    expect(checkKeyArg('event:abc-1 x~', 'key')).toBe('event:abc-1 x~');
  });
  it.each([
    ['', 'must not be empty'],
    ['event:\u00e9', 'outside printable ASCII'],
    ['a\nb', 'outside printable ASCII'],
    ['tab\there', 'outside printable ASCII'],
  ])('refuses %j with exit code 2', (v, msg) => {
    const call = () => checkKeyArg(v, 'prefix');
    expect(call).toThrow(CliError);
    expect(call).toThrow(msg);
    try {
      call();
    } catch (e) {
      expect((e as CliError).exitCode).toBe(2);
    }
  });
});

describe('parseCount', () => {
  it('reads non-negative integers, with a default', () => {
    expect(parseCount(undefined, '--limit', 100)).toBe(100);
    expect(parseCount('0', '--limit', 100)).toBe(0);
    expect(parseCount('25', '--limit', 100)).toBe(25);
  });
  it.each(['-1', '1.5', 'ten', '', '1e3'])('refuses %j', (v) => {
    expect(() => parseCount(v, '--limit', 100)).toThrow('--limit must be an integer >= 0');
  });
  it('keeps a minimum', () => {
    expect(() => parseCount('0', '--timeout', 10, 1)).toThrow('--timeout must be an integer >= 1');
  });
});

describe('oneLine', () => {
  it('compacts JSON and escapes control characters', () => {
    expect(oneLine('{\n  "a": 1,\n  "b": [1, 2]\n}')).toBe('{"a":1,"b":[1,2]}');
    expect(oneLine('line one\nline two\t\u0001')).toBe('line one\\nline two\\t\\x01');
  });
  it('truncates with an ellipsis', () => {
    expect(oneLine('x'.repeat(100), 10)).toBe(`${'x'.repeat(9)}…`);
    expect(oneLine('short', 10)).toBe('short');
  });
});

describe('records', () => {
  it('leaseOf prints hex, null without a lease', () => {
    expect(leaseOf('0')).toBeNull();
    expect(leaseOf(undefined)).toBeNull();
    expect(leaseOf('7587886521427123456')).toBe(BigInt('7587886521427123456').toString(16));
  });
  it('keyRecord parses JSON values and keeps other strings', () => {
    const kv = { key: 'k', createRevision: 2, modRevision: 3, version: 2 };
    expect(keyRecord({ ...kv, value: '{"a":1}' })).toEqual({ ...kv, value: { a: 1 }, lease: null });
    expect(keyRecord({ ...kv, value: 'plain', lease: 'ab' }).value).toBe('plain');
  });
  it('watch lines, readable and JSON', () => {
    const e = { time: '2026-11-27T00:00:00.000Z', type: 'put' as const, key: 'svc:orders:o-1', modRevision: 9, value: '{"pid": 1}' };
    expect(watchLine(e)).toBe('2026-11-27T00:00:00.000Z PUT    svc:orders:o-1 rev 9 {"pid":1}');
    expect(watchLine({ ...e, type: 'delete', value: null })).toBe('2026-11-27T00:00:00.000Z DELETE svc:orders:o-1 rev 9');
    expect(JSON.parse(watchJson(e))).toEqual({ ...e, value: { pid: 1 } });
  });
  it('bytes', () => {
    expect(bytes(512)).toBe('512 B');
    expect(bytes(1536)).toBe('1.5 KiB');
    expect(bytes(20 * 1024 * 1024)).toBe('20 MiB');
    expect(bytes(undefined)).toBe('-');
  });
});
