import { differences, listed } from './indexer.service.js';

describe('verify report', () => {
  it('lists differences in key order of the expected index, live-only keys as stray', () => {
    const live = new Map([
      ['search:text:a:1', { value: '{"n":0}' }],
      ['search:text:zz:9', { value: '{"n":1}' }],
    ]);
    const expected = new Map([
      ['search:text:a:1', '{"n":1}'],
      ['search:text:b:1', '{"n":1}'],
    ]);
    expect(differences(live, expected)).toEqual([
      { key: 'search:text:a:1', live: '{"n":0}', expected: '{"n":1}' },
      { key: 'search:text:b:1', live: null, expected: '{"n":1}' },
      { key: 'search:text:zz:9', live: '{"n":1}', expected: null },
    ]);
  });

  it('lists at most 1000 differences and never more than fits a NATS reply', () => {
    const small = Array.from({ length: 5000 }, (_, i) => ({ key: `search:text:w:${i}`, live: null, expected: '1' }));
    expect(listed(small)).toHaveLength(1000);
    const big = Array.from({ length: 1000 }, (_, i) => ({ key: `search:meta:${i}`, live: 'x'.repeat(2000), expected: 'y'.repeat(2000) }));
    const out = listed(big);
    expect(out.length).toBeGreaterThan(0);
    expect(Buffer.byteLength(JSON.stringify(out))).toBeLessThan(900 * 1024);
  });
});
