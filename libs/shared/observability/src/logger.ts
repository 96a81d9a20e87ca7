/**
 * pino JSON logs: every line carries service, instance and (inside a handler) the trace id.
 */
import { pino, type Logger, type LoggerOptions } from 'pino';
import { currentTraceId } from './trace-context.js';

export interface LogIdentity {
  service: string;
  instance: string;
  level: string;
}

export function pinoOptions(id: LogIdentity): LoggerOptions {
  return {
    level: id.level,
    base: { service: id.service, instance: id.instance },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
    mixin: () => {
      const traceId = currentTraceId();
      return traceId ? { traceId } : {};
    },
  };
}

export function createLogger(id: LogIdentity): Logger {
  return pino(pinoOptions(id));
}

export type { Logger };
