/** The request log's rule (issue 27): failures always, answers an on-sale gives by the thousand sampled, quiet paths never. */
import pino from 'pino';
import { ACCESS_LOG_SAMPLE, AccessLog } from './access-log.js';

function capture(level = 'debug') {
  const lines: Record<string, unknown>[] = [];
  const logger = pino({ level }, { write: (s: string) => void lines.push(JSON.parse(s)) });
  return { log: new AccessLog(logger), lines };
}

const entry = (statusCode: number, url = '/api/orders') => ({
  id: 'r1',
  method: 'POST',
  url,
  remoteAddress: '127.0.0.1',
  clientAddress: '127.0.0.7',
  statusCode,
  responseTimeMs: 12.4,
});

describe('AccessLog', () => {
  it('logs 5xx as error and 4xx as warn, with the request line the trust-proxy test reads', () => {
    const { log, lines } = capture('warn');
    log.record(entry(503));
    log.record(entry(400));
    expect(lines.map((l) => [l['level'], l['msg']])).toEqual([
      [50, 'request errored'],
      [40, 'request completed'],
    ]);
    expect(lines[1]).toMatchObject({
      req: { id: 'r1', method: 'POST', url: '/api/orders', remoteAddress: '127.0.0.1', clientAddress: '127.0.0.7' },
      res: { statusCode: 400 },
      responseTime: 12,
    });
  });

  it('samples successes, 409 and 429: one in ACCESS_LOG_SAMPLE at info, the rest at debug (nothing at warn)', () => {
    const warn = capture('warn');
    for (let i = 0; i < 3 * ACCESS_LOG_SAMPLE; i++) warn.log.record(entry([201, 409, 429][i % 3]!));
    expect(warn.lines).toEqual([]);
    const info = capture('info');
    for (let i = 0; i < 3 * ACCESS_LOG_SAMPLE; i++) info.log.record(entry([201, 409, 429][i % 3]!));
    expect(info.lines.length).toBe(3);
  });

  it('never logs health, readiness and metrics', () => {
    const { log, lines } = capture('debug');
    for (const url of ['/healthz', '/readyz', '/metrics']) log.record(entry(503, url));
    expect(lines).toEqual([]);
  });
});
