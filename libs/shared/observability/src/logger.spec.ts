import { pino } from 'pino';
import { pinoOptions } from './logger.js';
import { currentTraceId, runWithTrace } from './trace-context.js';

describe('logs', () => {
  it('carry service, instance and, inside a handler, the trace id', async () => {
    const lines: Record<string, unknown>[] = [];
    const logger = pino(pinoOptions({ service: 'inventory', instance: 'inventory-0', level: 'info' }), {
      write: (s: string) => void lines.push(JSON.parse(s)),
    });
    await runWithTrace('trace-1', async () => {
      await Promise.resolve();
      logger.info('inside');
    });
    logger.info('outside');
    expect(lines[0]).toMatchObject({ service: 'inventory', instance: 'inventory-0', traceId: 'trace-1', msg: 'inside', level: 'info' });
    expect(lines[1]).not.toHaveProperty('traceId');
  });

  it('starts a new trace when none is given', () => {
    const id = runWithTrace(undefined, () => currentTraceId());
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(currentTraceId()).toBeUndefined();
  });
});
