/**
 * One Idempotency-Key per checkout attempt: created when the buyer confirms, reused for every
 * retry of that same order (a double click, a network retry, a 503), replaced only when the
 * order itself changes. The API replays the first outcome for a repeated key, so a retry can
 * never buy twice; another order under the same key would be 409, so a changed order gets a
 * new key.
 */
export interface OrderLine {
  type: string;
  quantity: number;
}

export function orderFingerprint(eventId: string, lines: OrderLine[]): string {
  const merged = new Map<string, number>();
  for (const l of lines) if (l.quantity > 0) merged.set(l.type, (merged.get(l.type) ?? 0) + l.quantity);
  return `${eventId}|${[...merged]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([t, q]) => `${t}:${q}`)
    .join(',')}`;
}

export class IdempotencyKeys {
  private current: { fingerprint: string; key: string } | null = null;

  constructor(private readonly newKey: () => string = () => crypto.randomUUID()) {}

  /** The key for this order: the same as last time if the order is the same and not finished. */
  keyFor(eventId: string, lines: OrderLine[]): string {
    const fingerprint = orderFingerprint(eventId, lines);
    if (this.current?.fingerprint !== fingerprint) this.current = { fingerprint, key: this.newKey() };
    return this.current.key;
  }

  /** The order got a final answer (bought, sold out, refused): the next attempt is a new order. */
  settle(): void {
    this.current = null;
  }
}
