/**
 * Issue 14 (web UI), notifications: the /me/notifications page (subscriptions: change the limit,
 * pause, delete; alerts newest first, unread marked, mark read) and the app's ONE live alert
 * stream (GET /api/me/live, opened by the layout): an alert fired by another user's purchase
 * appears on the notifications page without a reload, and the unread count in the header rises
 * on every open page. In real Chromium against the real stack (etcd x5, NATS, all services).
 */
import { waitFor } from '@ticketcd/testing';
import { randomUUID } from 'node:crypto';
import type { Browser, Page, Route } from 'playwright-core';
import { ADMIN, apiLogin, apiRegister, checkPage, launchBrowser, newSession, startUiStack, type UiSession } from './browser.js';

let stack: Awaited<ReturnType<typeof startUiStack>>;
let browser: Browser;
let admin: UiSession;
const PASSWORD = 'correct horse battery';

beforeAll(async () => {
  [stack, browser] = await Promise.all([startUiStack(), launchBrowser()]);
  admin = await newSession(browser, stack.baseUrl);
  await apiLogin(admin, stack.baseUrl, ADMIN.username, ADMIN.password);
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await stack?.close();
});

const origin = () => ({ origin: stack.baseUrl });

/** An event on sale (admin, through the API) with `total` tickets of one type. */
async function createEvent(name: string, total: number): Promise<{ eventId: string; type: string }> {
  const lists = await (await admin.context.request.get('/api/static')).json();
  const type = lists.ticketTypes[0] as string;
  const r = await admin.context.request.post('/api/events', {
    headers: origin(),
    data: {
      name,
      description: `${name}: a night to remember.`,
      location: lists.locations[0],
      type: lists.eventTypes[0],
      date: new Date(Date.now() + 30 * 86400_000).toISOString(),
      maxPerOrder: 10,
      ticketTypes: [{ type, total, price: 4500 }],
    },
  });
  if (r.status() !== 201) throw new Error(`create event: ${r.status()} ${await r.text()}`);
  return { eventId: (await r.json()).eventId, type };
}

async function user(name: string): Promise<UiSession> {
  const s = await newSession(browser, stack.baseUrl);
  await apiRegister(s, stack.baseUrl, name, PASSWORD);
  await apiLogin(s, stack.baseUrl, name, PASSWORD);
  return s;
}

async function subscribe(s: UiSession, eventId: string, limit: number) {
  const r = await s.context.request.put(`/api/me/subscriptions/${eventId}`, { headers: origin(), data: { limit } });
  expect(r.status()).toBe(200);
}

async function buy(buyer: UiSession, ev: { eventId: string; type: string }, quantity: number) {
  const r = await buyer.context.request.post('/api/orders', {
    headers: { ...origin(), 'idempotency-key': randomUUID() },
    data: { eventId: ev.eventId, lines: [{ type: ev.type, quantity }] },
  });
  expect(r.status()).toBe(201);
}

async function subscriptions(s: UiSession): Promise<{ eventId: string; limit: number; active: boolean }[]> {
  return (await (await s.context.request.get('/api/me/subscriptions')).json()).items;
}

/** The page's header says the live alert stream is open (so an alert now is pushed to it). */
async function streamLive(page: Page) {
  await page.locator('header a[data-live="live"]').waitFor({ timeout: 15_000 });
}

/** The header's unread badge shows `n`. */
async function unreadCount(page: Page, n: number) {
  await page
    .getByTestId('unread-count')
    .filter({ hasText: new RegExp(`^\\s*${n}\\s+unread`) })
    .waitFor({ timeout: 15_000 });
}

function errorsOf(page: Page): string[] {
  const errors: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error' && !/Failed to load resource: the server responded with a status of [45]\d\d/.test(m.text()))
      errors.push(m.text());
  });
  page.on('pageerror', (e) => errors.push(`uncaught: ${e.message}`));
  return errors;
}

describe('notifications page', () => {
  it('shows the empty state, then my subscriptions: change a limit, pause and resume, delete one', async () => {
    const s = await user('nora.subs');
    await s.page.goto('/me/notifications');
    await s.page.getByRole('heading', { name: 'Notifications', level: 1 }).waitFor();
    await s.page.getByRole('heading', { name: 'No alerts yet' }).waitFor();
    await s.page.getByRole('heading', { name: 'Not following any event' }).waitFor();
    await checkPage(s.page, 'notifications-empty');

    const a = await createEvent('Aurora Strings at the Coliseu', 40);
    const b = await createEvent('Basalt Jazz Trio', 60);
    await subscribe(s, a.eventId, 5);
    await subscribe(s, b.eventId, 10);
    await s.page.reload();
    const subA = s.page.getByTestId('subscription').filter({ hasText: 'Aurora Strings' });
    const subB = s.page.getByTestId('subscription').filter({ hasText: 'Basalt Jazz Trio' });
    await subA.getByText('Watching').waitFor();
    await subB.getByText('60 of 60 tickets left now').waitFor();
    await checkPage(s.page, 'notifications');

    // Change B's limit: saved through the API, said on the page.
    await subB.getByLabel('Alert me at').fill('15');
    await subB.getByRole('button', { name: 'Save limit' }).click();
    await subB.getByRole('status').filter({ hasText: 'Saved.' }).waitFor();
    expect((await subscriptions(s)).find((x) => x.eventId === b.eventId)).toMatchObject({ limit: 15, active: true });

    // Pause A, then resume it.
    await subA.getByRole('button', { name: 'Pause alerts' }).click();
    await subA.getByText('Paused', { exact: false }).first().waitFor();
    await subA.getByRole('button', { name: 'Resume alerts' }).waitFor();
    expect((await subscriptions(s)).find((x) => x.eventId === a.eventId)).toMatchObject({ limit: 5, active: false });
    await checkPage(s.page, 'notifications-paused');
    await subA.getByRole('button', { name: 'Resume alerts' }).click();
    await subA.getByRole('button', { name: 'Pause alerts' }).waitFor();
    expect((await subscriptions(s)).find((x) => x.eventId === a.eventId)).toMatchObject({ active: true });

    // Delete B, confirming.
    await subB.getByRole('button', { name: 'Delete', exact: true }).click();
    await subB.getByRole('button', { name: 'Delete subscription' }).click();
    await subB.waitFor({ state: 'detached' });
    expect((await subscriptions(s)).map((x) => x.eventId)).toEqual([a.eventId]);

    expect(s.errors).toEqual([]);
    await s.context.close();
  });

  it("another user's purchase fires my alert: it appears on the notifications page live, and the header count rises on every page", async () => {
    const s = await user('sam.live');
    const buyer = await user('bob.buyer');
    const ev = await createEvent('Cobalt Choir Midnight Mass', 12);
    await subscribe(s, ev.eventId, 4);

    // The notifications page in one tab, another page in a second tab of the same session.
    const other = await s.context.newPage();
    const otherErrors = errorsOf(other);
    await s.page.goto('/me/notifications');
    await other.goto('/events');
    await Promise.all([streamLive(s.page), streamLive(other)]);
    await s.page.getByRole('heading', { name: 'No alerts yet' }).waitFor();
    expect(await s.page.getByTestId('unread-count').count()).toBe(0);
    expect(await other.getByTestId('unread-count').count()).toBe(0);

    // Bob buys 9 of 12 through the API: 3 left, within Sam's limit of 4.
    await buy(buyer, ev, 9);

    // No reload: the alert is pushed, the list and both headers update.
    const alert = s.page.getByTestId('alert').filter({ hasText: 'Cobalt Choir Midnight Mass' });
    await alert.getByText('3 tickets left.').waitFor({ timeout: 15_000 });
    await alert.getByText('New', { exact: true }).waitFor();
    await unreadCount(s.page, 1);
    await unreadCount(other, 1);
    await other.getByRole('status', { name: 'New alerts' }).getByText('Low stock alert').waitFor();
    await other.screenshot({ path: `${process.env.SCREENSHOT_DIR ?? 'tmp/screenshots'}/alert-toast-desktop.png` });
    await checkPage(s.page, 'notifications-with-alerts');

    // Mark it read: the label goes, so does the count, in both tabs.
    await alert.getByRole('button', { name: /Mark read/ }).click();
    await alert.getByText('New', { exact: true }).waitFor({ state: 'detached' });
    await s.page.getByTestId('unread-count').waitFor({ state: 'detached' });
    await other.reload();
    await streamLive(other);
    expect(await other.getByTestId('unread-count').count()).toBe(0);
    const stored = await (await s.context.request.get('/api/me/alerts')).json();
    expect(stored).toMatchObject({ unread: 0, items: [{ eventId: ev.eventId, remaining: 3, limit: 4, read: true }] });

    expect(s.errors).toEqual([]);
    expect(otherErrors).toEqual([]);
    await s.context.close();
    await buyer.context.close();
  });

  it('a refused stream says the alerts may be stale, reconnects by itself and re-reads the alert it missed', async () => {
    const s = await user('rita.retry');
    const buyer = await user('ben.buyer');
    const ev = await createEvent('Delta Blues Revival', 10);
    await subscribe(s, ev.eventId, 2);

    // The gateway refuses the stream (as while it shuts down): EventSource gives up, we retry.
    const refuse = (route: Route) =>
      route.fulfill({
        status: 503,
        contentType: 'application/json',
        body: JSON.stringify({ error: { code: 'UNAVAILABLE', message: 'this gateway instance is shutting down; reconnect' } }),
      });
    await s.page.route('**/api/me/live', refuse);
    await s.page.goto('/me/notifications');
    await s.page.locator('[role="status"][data-live="reconnecting"]').waitFor();
    await s.page.getByRole('link', { name: /Alerts.*live updates reconnecting/ }).waitFor();
    await s.page.getByRole('heading', { name: 'No alerts yet' }).waitFor();
    await checkPage(s.page, 'notifications-stale');

    // An alert fires while no stream is open: nothing can push it.
    await buy(buyer, ev, 9);
    await waitFor(async () => (await (await s.context.request.get('/api/me/alerts')).json()).unread === 1, {
      what: 'the alert stored',
      timeoutMs: 15_000,
    });

    // The stream is accepted again: it reopens by itself, and the fresh open re-reads the list.
    await s.page.unroute('**/api/me/live', refuse);
    await s.page.locator('[role="status"][data-live="live"]').waitFor({ timeout: 30_000 });
    await s.page.getByTestId('alert').filter({ hasText: 'Delta Blues Revival' }).getByText('1 ticket left.').waitFor();
    await unreadCount(s.page, 1);

    // "Mark all as read": nothing left unread, here or in the API.
    await s.page.getByRole('button', { name: 'Mark all as read' }).click();
    await s.page.getByTestId('unread-count').waitFor({ state: 'detached' });
    await s.page
      .getByTestId('alert')
      .filter({ hasText: 'Delta Blues Revival' })
      .getByText('New', { exact: true })
      .waitFor({ state: 'detached' });
    expect((await (await s.context.request.get('/api/me/alerts')).json()).unread).toBe(0);

    // Chromium logs a refused EventSource as a console error: that is the state under test here.
    expect(s.errors.filter((e) => !/EventSource's response has/.test(e))).toEqual([]);
    await s.context.close();
    await buyer.context.close();
  });
});
