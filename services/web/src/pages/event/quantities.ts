/** The chosen quantities per ticket type, carried in the URL (`?pink=2&blue=1`) between pages. */
export type Quantities = Record<string, number>;

export function readQuantities(params: URLSearchParams, types: string[]): Quantities {
  const q: Quantities = {};
  for (const t of types) {
    const n = Number(params.get(t));
    if (Number.isInteger(n) && n > 0) q[t] = n;
  }
  return q;
}

export function quantitiesQuery(q: Quantities): string {
  const p = new URLSearchParams();
  for (const [t, n] of Object.entries(q)) if (n > 0) p.set(t, String(n));
  return p.toString();
}

export function totalQuantity(q: Quantities): number {
  return Object.values(q).reduce((s, n) => s + n, 0);
}

/** The most of `type` this order may still take: what remains, and the per-order cap minus the other lines. */
export function capFor(type: string, q: Quantities, remaining: number, maxPerOrder: number): number {
  const others = totalQuantity(q) - (q[type] ?? 0);
  return Math.max(0, Math.min(remaining, maxPerOrder - others));
}
