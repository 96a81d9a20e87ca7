/**
 * The trace id of the work in hand, carried through async calls. HTTP requests, NATS requests
 * and JetStream deliveries each run their handler inside `runWithTrace`, and everything that
 * logs or sends a message reads it from here, so one id follows a purchase across services.
 * A request-reply call also carries the caller's time budget (header `Ticketcd-Budget-Ms`), so
 * the handler and the calls it makes in turn stop before the first caller has given up.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';

interface TraceStore {
  traceId: string;
  /** When the caller stops waiting (epoch ms), if it said: work and calls made for it fit inside. */
  deadlineAt?: number;
}

const storage = new AsyncLocalStorage<TraceStore>();

/** A fresh trace id: a UUID (randomUUID draws from a cached entropy pool; ulid() costs a crypto call per character). */
export const newTraceId = (): string => randomUUID();

export function runWithTrace<T>(traceId: string | undefined, fn: () => T, deadlineAt?: number): T {
  return storage.run({ traceId: traceId || newTraceId(), deadlineAt }, fn);
}

export function currentTraceId(): string | undefined {
  return storage.getStore()?.traceId;
}

/** The caller's deadline (epoch ms) of the work in hand, if the request carried one. */
export function currentDeadline(): number | undefined {
  return storage.getStore()?.deadlineAt;
}
