/**
 * The load generator of bench:inventory's in-process cells (c) and (f), in its own thread, so
 * that making orders (ids, objects) and timing them does not take the event loop the purchase
 * path runs on (issue 17 point 2). Closed loop: `concurrency` buyers, each sends its next order
 * when the last is answered. Orders and answers cross in arrays, one message per tick each way.
 */
import { parentPort } from 'node:worker_threads';
import { monotonicFactory } from 'ulid';

/** ulid's default PRNG reads crypto bytes one character at a time: most of this thread's CPU in a
 *  sold-out cell. Order ids need only be unique here, not unguessable. */
const ulid = monotonicFactory(() => Math.random());

/** main -> worker: start a cell. */
export interface LoadgenRun {
  kind: 'run';
  eventId: string;
  concurrency: number;
  maxMs: number;
  /** Orders for each type cycle through these; quantity alternates 1, 2. */
  types: string[];
}
/** worker -> main: orders to place. */
export interface LoadgenOrders {
  kind: 'orders';
  orders: { id: number; orderId: string; eventId: string; type: string; quantity: number }[];
}
/** main -> worker: answers (accepted, refused, or threw). */
export interface LoadgenAnswers {
  kind: 'answers';
  answers: { id: number; outcome: 'accepted' | 'refused' | 'error' }[];
}
/** worker -> main: the cell's figures. */
export interface LoadgenDone {
  kind: 'done';
  orders: number;
  accepted: number;
  refused: number;
  errors: number;
  elapsedMs: number;
  perSecond: number;
  p50Ms: number;
  p99Ms: number;
}

const port = parentPort!;
let run: LoadgenRun | null = null;
let started = 0;
let issued = 0;
let inFlight = 0;
let accepted = 0;
let refused = 0;
let errors = 0;
let latencies: number[] = [];
const sentAt = new Map<number, number>();
let outbox: LoadgenOrders['orders'] = [];
let flushQueued = false;

function flush() {
  flushQueued = false;
  if (outbox.length === 0) return;
  port.postMessage({ kind: 'orders', orders: outbox } satisfies LoadgenOrders);
  outbox = [];
}

function issue() {
  const r = run!;
  const id = issued++;
  inFlight++;
  sentAt.set(id, performance.now());
  outbox.push({ id, orderId: ulid(), eventId: r.eventId, type: r.types[id % r.types.length]!, quantity: 1 + (id % 2) });
  if (!flushQueued) {
    flushQueued = true;
    setImmediate(flush);
  }
}

function finish() {
  const elapsedMs = performance.now() - started;
  latencies.sort((a, b) => a - b);
  const pct = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))] ?? 0;
  const orders = accepted + refused;
  port.postMessage({
    kind: 'done',
    orders,
    accepted,
    refused,
    errors,
    elapsedMs,
    perSecond: (orders / elapsedMs) * 1000,
    p50Ms: pct(50),
    p99Ms: pct(99),
  } satisfies LoadgenDone);
  run = null;
}

port.on('message', (msg: LoadgenRun | LoadgenAnswers) => {
  if (msg.kind === 'run') {
    run = msg;
    started = performance.now();
    issued = inFlight = accepted = refused = errors = 0;
    latencies = [];
    sentAt.clear();
    for (let i = 0; i < msg.concurrency; i++) issue();
    return;
  }
  const now = performance.now();
  const open = run !== null && now - started < run.maxMs;
  for (const a of msg.answers) {
    inFlight--;
    if (a.outcome === 'error') errors++;
    else {
      if (a.outcome === 'accepted') accepted++;
      else refused++;
      latencies.push(now - sentAt.get(a.id)!);
    }
    sentAt.delete(a.id);
    if (open) issue();
  }
  if (run && inFlight === 0) finish();
});
