/**
 * Group commit per key (inventory: per event; orders: per claim shard). Items of one key queue up
 * while a batch of that key is being written; the next batch takes everything that queued (up to
 * the Txn budget). Under load the batches grow by themselves, with no added delay when the key
 * is quiet, and a hot on-sale costs one Txn per batch instead of one contended CAS per order.
 *
 * Pipelining (`depth` > 1, issue 17): the next batch of a key may start once the previous one
 * has SENT its write (its `sent` callback), so up to `depth` writes of one key are in flight
 * and the key's cycle is no longer the sum of its Txn round trips. Batches still start (and
 * decide) one after the other, in arrival order; a processor that never calls `sent` gets the
 * plain one-at-a-time behaviour.
 */
export interface Queued<O, R> {
  order: O;
  resolve: (r: R) => void;
  reject: (e: unknown) => void;
}

export class GroupCommitter<O, R> {
  private readonly queues = new Map<string, Queued<O, R>[]>();
  private readonly running = new Set<string>();
  private idleWaiters: (() => void)[] = [];

  /** Most items per batch: a number, or per key (inventory: what one event's Txn can hold). */
  private readonly maxBatchOf: (key: string) => number;

  constructor(
    maxBatch: number | ((key: string) => number),
    private readonly process: (key: string, batch: Queued<O, R>[], sent: () => void) => Promise<void>,
    private readonly depth = 1,
  ) {
    this.maxBatchOf = typeof maxBatch === 'number' ? () => maxBatch : maxBatch;
  }

  submit(key: string, order: O): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      let q = this.queues.get(key);
      if (!q) this.queues.set(key, (q = []));
      q.push({ order, resolve, reject });
      if (!this.running.has(key)) void this.drain(key);
    });
  }

  private async drain(key: string): Promise<void> {
    this.running.add(key);
    const inFlight = new Set<Promise<void>>();
    try {
      for (;;) {
        let q = this.queues.get(key);
        if (!q || q.length === 0) {
          if (inFlight.size === 0) break;
          // Answers of the batches in flight bring the next orders.
          await Promise.race(inFlight);
          continue;
        }
        if (inFlight.size >= this.depth) {
          await Promise.race(inFlight);
          continue;
        }
        const maxBatch = Math.max(1, this.maxBatchOf(key));
        // Let the buyers just answered (their continuations are queued behind us) put their
        // next orders in first: otherwise batches alternate between one order and the rest.
        if (q.length < maxBatch) await new Promise<void>((r) => setImmediate(r));
        q = this.queues.get(key)!;
        // An empty pipeline takes a share of the queue, not all of it: two half batches in
        // flight answer the buyers sooner than one full one (a Txn's time barely grows with size).
        const size = inFlight.size === 0 && this.depth > 1 ? Math.ceil(q.length / this.depth) : maxBatch;
        const batch = q.splice(0, Math.min(size, maxBatch));
        if (batch.length === 0) continue;
        let sent!: () => void;
        const isSent = new Promise<void>((r) => (sent = r));
        const done: Promise<void> = this.process(key, batch, sent)
          .catch((e: unknown) => {
            for (const item of batch) item.reject(e);
          })
          .finally(() => inFlight.delete(done));
        inFlight.add(done);
        // The next batch decides after this one has decided and sent (or finished).
        await Promise.race([isSent, done]);
      }
    } finally {
      this.queues.delete(key);
      this.running.delete(key);
      if (this.running.size === 0) for (const w of this.idleWaiters.splice(0)) w();
    }
  }

  /** Resolves when every order submitted so far has been processed and answered. */
  idle(): Promise<void> {
    return this.running.size === 0 ? Promise.resolve() : new Promise((r) => this.idleWaiters.push(r));
  }

  /** Orders waiting or being decided. */
  get pending(): number {
    let n = 0;
    for (const q of this.queues.values()) n += q.length;
    return n;
  }
}
