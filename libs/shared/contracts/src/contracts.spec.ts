import { ALL_EVENTS, ALL_RPCS, Events, EVENTS_PUBLISHED_BY, eventsPublishedBy, Rpc, STREAMS } from './index.js';

/** NATS subject match: `*` one token, `>` the rest. */
function matches(filter: string, subject: string): boolean {
  const f = filter.split('.');
  const s = subject.split('.');
  for (let i = 0; i < f.length; i++) {
    if (f[i] === '>') return s.length > i;
    if (i >= s.length || (f[i] !== '*' && f[i] !== s[i])) return false;
  }
  return f.length === s.length;
}

describe('contracts', () => {
  it('no request-reply subject is captured by a stream (streams would answer requests with acks)', () => {
    for (const rpc of ALL_RPCS) {
      for (const stream of STREAMS) {
        for (const filter of stream.subjects)
          expect({ rpc: rpc.subject, filter, captured: matches(filter, rpc.subject) }).toEqual({
            rpc: rpc.subject,
            filter,
            captured: false,
          });
      }
    }
  });

  it('every event lives in exactly one stream and is named in the past tense', () => {
    for (const e of ALL_EVENTS) {
      expect(STREAMS.filter((s) => s.subjects.some((f) => matches(f, e.type))).map((s) => s.name)).toEqual([e.stream]);
      expect(e.type).toMatch(/\.(created|updated|deleted|sold|changed|fired)$/);
    }
  });

  it('every event is published by exactly one service, the one its subject names (issue 25.3)', () => {
    for (const e of ALL_EVENTS) {
      const publishers = Object.entries(EVENTS_PUBLISHED_BY).filter(([, defs]) => defs.includes(e));
      expect(publishers.map(([service]) => service)).toEqual([e.type.split('.')[0]]);
    }
    expect(eventsPublishedBy('orders')).toEqual([]);
    expect(eventsPublishedBy('toString')).toEqual([]);
  });

  it('subjects are unique and name their service first', () => {
    const subjects = [...ALL_RPCS.map((r) => r.subject), ...ALL_EVENTS.map((e) => e.type)];
    expect(new Set(subjects).size).toBe(subjects.length);
    expect(Rpc.inventory.purchase.service).toBe('inventory');
    expect(Rpc.search.query.service).toBe('search');
  });

  it('validates payloads at the edge with field paths', () => {
    const bad = Rpc.inventory.purchase.request.safeParse({
      orderId: 'x',
      username: 'A:B',
      eventId: 'y',
      lines: [{ type: 'vip', quantity: 0 }],
    });
    expect(bad.success).toBe(false);
    const paths = bad.error!.issues.map((i) => i.path.join('.')).sort();
    expect(paths).toEqual(['eventId', 'lines.0.quantity', 'orderId', 'username']);
    const ok = Events.inventory.stockChanged.data.safeParse({
      eventId: '01JDQ3Z6X8M2N4P6R8T0V2W4Y6',
      ticketType: 'vip',
      total: 10,
      remaining: 3,
      revision: 42,
    });
    expect(ok.success).toBe(true);
  });
});
