/**
 * The trace id of the work in hand, carried through async calls. HTTP requests, NATS requests
 * and JetStream deliveries each run their handler inside `runWithTrace`, and everything that
 * logs or sends a message reads it from here, so one id follows a purchase across services.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';

interface TraceStore {
  traceId: string;
}

const storage = new AsyncLocalStorage<TraceStore>();

/** A fresh trace id: a UUID (randomUUID draws from a cached entropy pool; ulid() costs a crypto call per character). */
export const newTraceId = (): string => randomUUID();

export function runWithTrace<T>(traceId: string | undefined, fn: () => T): T {
  return storage.run({ traceId: traceId || newTraceId() }, fn);
}

export function currentTraceId(): string | undefined {
  return storage.getStore()?.traceId;
}
