/**
 * The trace id of the work in hand, carried through async calls. HTTP requests, NATS requests
 * and JetStream deliveries each run their handler inside `runWithTrace`, and everything that
 * logs or sends a message reads it from here, so one id follows a purchase across services.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { ulid } from 'ulid';

interface TraceStore {
  traceId: string;
}

const storage = new AsyncLocalStorage<TraceStore>();

export const newTraceId = (): string => ulid();

export function runWithTrace<T>(traceId: string | undefined, fn: () => T): T {
  return storage.run({ traceId: traceId || newTraceId() }, fn);
}

export function currentTraceId(): string | undefined {
  return storage.getStore()?.traceId;
}
