/**
 * bench/web: how fast the web UI is usable on the local stack, in Debian's chromium
 * (playwright-core), in ONE run on one five-member cluster with 24 demo events, while a
 * background load buys tickets over HTTP (so live streams and the indexer are busy, as in a
 * real on-sale). Each cell loads the page N times; times are from navigation start, in the page.
 *   (a) baseline: the page's own API call alone, fetch('/api/events?limit=20') from the origin
 *   (b) home, first visit (new browser context: cold cache) until the first event card shows
 *   (c) home, repeat visit (same context: cached assets)
 *   (d) event page, first visit, until its ticket table shows remaining counts
 * Prints p50/p95 per cell and the ratio to (a). The UI brief's target: home usable within 2 s.
 *   npm run bench:web [-- --loads 15 --no-load]   (--no-load: no background purchases, a quiet stack)
 */
import { launchChromium, seedDemo, startPrivateStack, stopPrivateStack } from '@ticketcd/testing';
import { parseArgs } from 'node:util';
import type { BrowserContext } from 'playwright-core';
import { fmt, percentile } from './measure.js';

const { values } = parseArgs({ options: { loads: { type: 'string', default: '15' }, 'no-load': { type: 'boolean', default: false } } });
const LOADS = Number(values.loads);
const ADMIN = { username: 'admin', password: 'bench-admin-password' };
const BUYER = { username: 'bench-buyer', password: 'bench-password-1234' };

const stack = await startPrivateStack({
  services: ['gateway', 'catalog', 'inventory', 'orders', 'search-indexer', 'notifier'],
  env: { LOG_LEVEL: 'warn', ADMIN_USERNAME: ADMIN.username, ADMIN_PASSWORD: ADMIN.password, RATE_ORDERS_PER_USER: '100000/1' },
});
const base = stack.gatewayUrl!;
let stopLoad = false;
try {
  await seedDemo({ etcd: stack.etcd.endpoints, nats: stack.nats.url }, stack.opts.dir);
  const events = (await (await fetch(`${base}/api/events?limit=24`)).json()) as { items: { eventId: string }[] };
  const eventIds = events.items.map((e) => e.eventId);

  // Background: one buyer buying one ticket at a time on the events, all through the cell.
  const json = { 'content-type': 'application/json', origin: base };
  await fetch(`${base}/api/auth/register`, { method: 'POST', headers: json, body: JSON.stringify(BUYER) });
  const login = await fetch(`${base}/api/auth/login`, { method: 'POST', headers: json, body: JSON.stringify(BUYER) });
  const cookie = login.headers.getSetCookie()[0]!.split(';')[0]!;
  let bought = 0;
  const load = (async () => {
    for (let i = 0; !stopLoad && !values['no-load']; i++) {
      const eventId = eventIds[i % eventIds.length]!;
      const detail = (await (await fetch(`${base}/api/events/${eventId}`)).json()) as { tickets: { type: string }[] };
      const r = await fetch(`${base}/api/orders`, {
        method: 'POST',
        headers: { ...json, cookie, 'idempotency-key': `bench-web-${i}` },
        body: JSON.stringify({ eventId, lines: [{ type: detail.tickets[0]!.type, quantity: 1 }] }),
      });
      if (r.status === 201) bought++;
    }
  })();

  const browser = await launchChromium();
  const newContext = () => browser.newContext({ baseURL: base, viewport: { width: 1280, height: 800 } });
  const cell = async (name: string, run: (i: number, ctx: BrowserContext) => Promise<number>, shared = false) => {
    const times: number[] = [];
    const sharedCtx = shared ? await newContext() : null;
    if (sharedCtx) await run(-1, sharedCtx); // fill the cache
    for (let i = 0; i < LOADS; i++) {
      const ctx = sharedCtx ?? (await newContext());
      times.push(await run(i, ctx));
      if (!sharedCtx) await ctx.close();
    }
    await sharedCtx?.close();
    return { name, p50: percentile(times, 50), p95: percentile(times, 95) };
  };
  const baseline = await cell('(a) fetch /api/events?limit=20 (baseline)', async (_i, ctx) => {
    const page = await ctx.newPage();
    await page.goto('/healthz');
    return page.evaluate(async () => {
      const t0 = performance.now();
      await (await fetch('/api/events?limit=20')).json();
      return performance.now() - t0;
    });
  });
  const home = async (_i: number, ctx: BrowserContext) => {
    const page = await ctx.newPage();
    await page.goto('/events', { waitUntil: 'commit' });
    await page.locator('main a[href^="/events/"]').first().waitFor({ timeout: 30_000 });
    const t = await page.evaluate(() => performance.now());
    await page.close();
    return t;
  };
  const cold = await cell('(b) home, first visit: first event card', home);
  const warm = await cell('(c) home, repeat visit: first event card', home, true);
  const eventPage = await cell('(d) event page, first visit: remaining counts', async (i, ctx) => {
    const page = await ctx.newPage();
    await page.goto(`/events/${eventIds[Math.max(0, i) % eventIds.length]}`, { waitUntil: 'commit' });
    await page
      .getByText(/\d+\s+(left|remaining)/i)
      .first()
      .waitFor({ timeout: 30_000 });
    return page.evaluate(() => performance.now());
  });
  stopLoad = true;
  await load;
  await browser.close();

  console.log(
    `\nbench:web: ${LOADS} loads per cell, 24 events, ${values['no-load'] ? 'no background load' : `background purchases over HTTP (${bought} bought during the run)`}\n`,
  );
  console.log(`${'cell'.padEnd(48)} ${'p50 ms'.padStart(8)} ${'p95 ms'.padStart(8)} ${'p50 / (a)'.padStart(10)}`);
  for (const c of [baseline, cold, warm, eventPage])
    console.log(`${c.name.padEnd(48)} ${fmt(c.p50).padStart(8)} ${fmt(c.p95).padStart(8)} ${fmt(c.p50 / baseline.p50, 1).padStart(10)}`);
} finally {
  stopLoad = true;
  await stopPrivateStack(stack);
}
