/** Work accepted and not answered yet (HTTP requests, RPC handlers): a drain waits for zero. */
export class InFlight {
  private n = 0;
  private waiters: (() => void)[] = [];

  enter(): void {
    this.n++;
  }

  leave(): void {
    if (--this.n <= 0) {
      this.n = 0;
      for (const w of this.waiters.splice(0)) w();
    }
  }

  get count(): number {
    return this.n;
  }

  /** Resolves when nothing is in flight. */
  idle(): Promise<void> {
    return this.n === 0 ? Promise.resolve() : new Promise((r) => this.waiters.push(r));
  }
}
