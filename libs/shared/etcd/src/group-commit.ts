/**
 * Group commit per key (inventory: per event; orders: per claim shard). Items of one key queue up
 * while a batch of that key is being written; the next batch takes everything that queued (up to
 * the Txn budget). Under load the batches grow by themselves, with no added delay when the key
 * is quiet, and a hot on-sale costs one Txn per batch instead of one contended CAS per order.
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

  constructor(
    private readonly maxBatch: number,
    private readonly process: (key: string, batch: Queued<O, R>[]) => Promise<void>,
  ) {}

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
    try {
      for (;;) {
        let q = this.queues.get(key);
        if (!q || q.length === 0) break;
        // Let the buyers just answered (their continuations are queued behind us) put their
        // next orders in first: otherwise batches alternate between one order and the rest.
        if (q.length < this.maxBatch) await new Promise<void>((r) => setImmediate(r));
        q = this.queues.get(key)!;
        const batch = q.splice(0, this.maxBatch);
        try {
          await this.process(key, batch);
        } catch (e) {
          for (const item of batch) item.reject(e);
        }
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
