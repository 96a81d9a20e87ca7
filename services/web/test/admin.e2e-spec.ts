/**
 * The admin pages in real Chromium against the real stack (issue 14, "Web UI", admin side):
 * events (create through the form, edit, the conflict of a stale edit, delete with its
 * confirmation), statistics that change after a purchase, static lists (a value in use cannot be
 * removed), key history; a non-admin sees "not for you", not the data. Every page goes through
 * checkPage (axe: no serious violation; screenshots at desktop and phone width) with no console error.
 */
import { waitFor } from '@ticketcd/testing';
import { randomUUID } from 'node:crypto';
import type { Browser, Page } from 'playwright-core';
import { ADMIN, apiLogin, apiRegister, checkPage, launchBrowser, newSession, settled, startUiStack, type UiSession } from './browser.js';

let stack: Awaited<ReturnType<typeof startUiStack>>;
let browser: Browser;
let statics: { locations: string[]; eventTypes: string[]; ticketTypes: string[] };

beforeAll(async () => {
  [stack, browser] = await Promise.all([startUiStack(), launchBrowser()]);
  statics = (await (await fetch(`${stack.baseUrl}/api/static`)).json()) as typeof statics;
  expect(statics.ticketTypes.length).toBeGreaterThanOrEqual(2);
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await stack?.close();
});

/** A fresh admin session (its own cookies). */
async function adminSession(): Promise<UiSession> {
  const s = await newSession(browser, stack.baseUrl);
  await apiLogin(s, stack.baseUrl, ADMIN.username, ADMIN.password);
  return s;
}

/** An event made through the API (two ticket types: 45.00 and 120.00). */
async function apiEvent(s: UiSession, name: string): Promise<{ eventId: string; version: number }> {
  const [general, vip] = statics.ticketTypes as [string, string];
  const r = await s.context.request.post('/api/events', {
    headers: { origin: stack.baseUrl },
    data: {
      name,
      description: 'Made by the admin browser test.',
      location: statics.locations[0],
      type: statics.eventTypes[0],
      date: '2027-09-18T19:00:00.000Z',
      maxPerOrder: 6,
      ticketTypes: [
        { type: general, total: 300, price: 4500 },
        { type: vip, total: 40, price: 12000 },
      ],
    },
  });
  expect(r.status()).toBe(201);
  return (await r.json()) as { eventId: string; version: number };
}

async function getEvent(s: UiSession, eventId: string) {
  const r = await s.context.request.get(`/api/events/${eventId}`);
  return { status: r.status(), body: r.ok() ? ((await r.json()) as Record<string, unknown>) : null };
}

/** Full-page screenshots from the top (the sticky header would otherwise sit mid-page). */
async function top(page: Page) {
  await page.evaluate(() => window.scrollTo(0, 0));
}

/**
 * Checks the page once no colour transition is running: a button re-enabled a moment ago fades
 * back to its colour (150 ms), and axe would measure its contrast mid-fade.
 */
async function check(page: Page, name: string) {
  await page.waitForFunction(() => document.getAnimations().every((a) => !(a instanceof CSSTransition) || a.playState !== 'running'));
  await checkPage(page, name);
}

async function openEdit(page: Page, eventId: string, name: string) {
  await page.goto(`/admin/events/${eventId}`);
  await page.getByRole('heading', { level: 1, name: `Edit “${name}”` }).waitFor();
  await settled(page);
}

describe('admin pages', () => {
  // Acceptance 1 (admin journey) and 3 (admin-events, admin-event-create, admin-event-edit,
  // admin-event-conflict, admin-event-delete-confirm).
  it('creates an event through the form, edits it (then search finds the new name), shows the conflict of a stale edit, deletes it after confirming', async () => {
    const s = await adminSession();
    const { page } = s;
    await apiEvent(s, 'Harbour Lights Festival');

    await page.goto('/admin/events');
    await page.getByRole('heading', { level: 1, name: 'Events' }).waitFor();
    await page.getByRole('link', { name: 'Harbour Lights Festival', exact: true }).waitFor();
    await settled(page);
    await check(page, 'admin-events');

    // Create through the form; the date is the admin's local time (Europe/Lisbon, UTC+1 in July).
    await page.getByRole('link', { name: '+ New event' }).click();
    await page.getByRole('heading', { level: 1, name: 'New event' }).waitFor();
    await settled(page);
    // An empty form is refused in the browser, each message under its field.
    await page.getByRole('button', { name: 'Create event' }).click();
    await page.getByText('Give the event a name.').waitFor();
    expect(await page.getByLabel('Name', { exact: true }).getAttribute('aria-invalid')).toBe('true');
    await page.getByText('Pick a date and a time.').waitFor();
    const created = `Nimbus Quartet ${randomUUID().slice(0, 6)}`;
    await page.getByLabel('Name', { exact: true }).fill(created);
    await page.getByLabel('Description').fill('Strings under the stars.');
    await page.getByLabel('Location', { exact: true }).selectOption(statics.locations[0]!);
    await page.getByLabel('Event type', { exact: true }).selectOption(statics.eventTypes[0]!);
    await page.getByLabel('Date and time').fill('2027-07-01T20:30');
    await page.getByLabel('Max tickets per order').fill('4');
    await page.getByLabel('Ticket type 1', { exact: true }).selectOption(statics.ticketTypes[0]!);
    await page.getByLabel('Tickets', { exact: true }).fill('200');
    await page.getByLabel('Price (€)', { exact: true }).fill('45.50');
    await top(page);
    await check(page, 'admin-event-create');
    await page.getByRole('button', { name: 'Create event' }).click();
    await page.waitForURL(/\/admin\/events\/[0-9A-Z]{26}$/);
    const eventId = new URL(page.url()).pathname.split('/').pop()!;
    const stored = await getEvent(s, eventId);
    expect(stored.body).toMatchObject({
      name: created,
      date: '2027-07-01T19:30:00.000Z',
      maxPerOrder: 4,
      version: 1,
      tickets: [{ type: statics.ticketTypes[0], total: 200, remaining: 200, price: 4550 }],
    });
    await page.getByText(`Created “${created}”`).waitFor();

    // Edit: the new name is searchable once the (asynchronous) indexer has it.
    const renamed = `Zephyrine ${randomUUID().slice(0, 6)} Evening`;
    await page.getByLabel('Name', { exact: true }).fill(renamed);
    await page.getByRole('button', { name: 'Save changes' }).click();
    await page.getByText(`Saved. “${renamed}” is now version 2.`).waitFor();
    await settled(page);
    await top(page);
    await check(page, 'admin-event-edit');
    // Ticket totals and prices: PUT per type, price in euros sent as cents.
    const type = statics.ticketTypes[0]!;
    const label = type.charAt(0).toUpperCase() + type.slice(1);
    await page.getByLabel(`Total ${label} tickets`).fill('250');
    await page.getByLabel(`Price of ${label} in euros`).fill('50');
    await page.getByRole('button', { name: 'Save tickets' }).click();
    await page.getByText(`Saved ${label}.`).waitFor();
    // Inventory wrote it; the catalog's copy follows within a moment (issue 27).
    await waitFor(
      async () =>
        JSON.stringify((await getEvent(s, eventId)).body?.tickets) === JSON.stringify([{ type, total: 250, remaining: 250, price: 5000 }]),
      {
        what: 'the new total on the event page',
      },
    );
    await waitFor(
      async () => {
        const r = await fetch(`${stack.baseUrl}/api/search?q=zephyri`);
        const body = (await r.json()) as { items: { eventId: string }[] };
        return body.items.some((i) => i.eventId === eventId) || null;
      },
      { timeoutMs: 20_000, intervalMs: 200, what: 'the new name in search' },
    );

    // A stale edit: two pages open version 2; one saves, the other then sees the conflict.
    const other = await s.context.newPage();
    await openEdit(page, eventId, renamed);
    await openEdit(other, eventId, renamed);
    await page.getByLabel('Description').fill('Now with a guest cellist.');
    await page.getByRole('button', { name: 'Save changes' }).click();
    await page.getByText(/is now version 3\./).waitFor();
    await other.getByLabel('Max tickets per order').fill('8');
    await other.getByRole('button', { name: 'Save changes' }).click();
    const conflict = other.getByRole('region', { name: 'Someone saved this event while you were editing' });
    await conflict.waitFor();
    await conflict.getByRole('cell', { name: 'Now with a guest cellist.' }).waitFor();
    await conflict.getByRole('columnheader', { name: 'Version 3 (saved)' }).waitFor();
    await top(other);
    await check(other, 'admin-event-conflict');
    await conflict.getByRole('button', { name: 'Apply my changes to version 3' }).click();
    await other.getByText(/is now version 4\./).waitFor();
    expect((await getEvent(s, eventId)).body).toMatchObject({ version: 4, maxPerOrder: 8, description: 'Now with a guest cellist.' });
    await other.close();

    // Delete from the table, after confirming.
    await page.goto('/admin/events');
    await page.getByRole('button', { name: `Delete ${renamed}` }).click();
    const dialog = page.getByRole('dialog', { name: `Delete “${renamed}”?` });
    await dialog.waitFor();
    await dialog.getByText('Sales are kept').waitFor();
    await check(page, 'admin-event-delete-confirm');
    // Someone saves meanwhile: the delete of the version shown is refused and says so.
    const meanwhile = await s.context.request.patch(`/api/events/${eventId}`, {
      headers: { origin: stack.baseUrl },
      data: { expectedVersion: 4, maxPerOrder: 9 },
    });
    expect(meanwhile.status()).toBe(200);
    await dialog.getByRole('button', { name: 'Delete event' }).click();
    await dialog.getByText('Not deleted: someone saved a newer version (version 5)').waitFor();
    expect((await getEvent(s, eventId)).status).toBe(200);
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await dialog.waitFor({ state: 'hidden' });
    await page.getByRole('cell', { name: 'v5' }).waitFor();
    await page.getByRole('button', { name: `Delete ${renamed}` }).click();
    await dialog.getByRole('button', { name: 'Delete event' }).click();
    await page.getByText(`Deleted “${renamed}”. Its sales are kept`).waitFor();
    await dialog.waitFor({ state: 'hidden' });
    expect((await getEvent(s, eventId)).status).toBe(404);
    await expect(page.getByRole('link', { name: renamed, exact: true }).count()).resolves.toBe(0);

    expect(s.errors).toEqual([]);
    await s.context.close();
  });

  // Acceptance 1 (the stats chart changes after a purchase) and 3 (admin-stats).
  it('statistics change after a purchase: totals, the per-event chart and the drill-down of sales', async () => {
    const s = await adminSession();
    const { page } = s;
    const name = `Stats Gala ${randomUUID().slice(0, 6)}`;
    const { eventId } = await apiEvent(s, name);
    await page.goto('/admin/stats');
    await page.getByRole('heading', { level: 1, name: 'Statistics' }).waitFor();
    const revenue = page.getByTestId('total-revenue');
    await revenue.waitFor();
    await page.getByRole('cell', { name, exact: true }).waitFor();
    const before = await revenue.innerText();

    // A user buys through the API: 2 general + 1 vip = 210.00.
    const buyer = await newSession(browser, stack.baseUrl);
    const username = `buyer${randomUUID().slice(0, 8)}`;
    await apiRegister(buyer, stack.baseUrl, username, 'buyer-password-1');
    await apiLogin(buyer, stack.baseUrl, username, 'buyer-password-1');
    const [general, vip] = statics.ticketTypes as [string, string];
    const order = await buyer.context.request.post('/api/orders', {
      headers: { origin: stack.baseUrl, 'idempotency-key': randomUUID() },
      data: {
        eventId,
        lines: [
          { type: general, quantity: 2 },
          { type: vip, quantity: 1 },
        ],
      },
    });
    expect(order.status()).toBe(201);
    await buyer.context.close();

    // The page refetches by itself: the total and the chart's summary change.
    await page.waitForFunction((b) => document.querySelector('[data-testid="total-revenue"]')?.textContent !== b, before, {
      timeout: 30_000,
    });
    const chart = page.getByTestId('chart-per-event');
    await page.waitForFunction(
      (n) => document.querySelector('[data-testid="chart-per-event"]')?.getAttribute('aria-label')?.includes(`${n} €210.00, 1 order`),
      name,
      { timeout: 30_000 },
    );
    expect(await chart.getAttribute('role')).toBe('img');
    expect(await page.getByTestId('chart-by-type').getAttribute('aria-label')).toMatch(/tickets sold by type/);

    // Drill down: the event's sales, newest first.
    await page.getByRole('button', { name: `Sales of ${name}` }).click();
    const sales = page.getByRole('region', { name: `Sales of “${name}”` });
    await sales.getByRole('cell', { name: username }).waitFor();
    await sales.getByRole('cell', { name: '€210.00' }).waitFor();
    // (not settled(): the live indicator's dot pulses on purpose)
    await top(page);
    await check(page, 'admin-stats');

    // The buyer's name opens their profile (the report's /profile?username= leads there too).
    await sales.getByRole('link', { name: username }).click();
    await page.waitForURL((u) => u.pathname === `/admin/users/${username}`);
    await page.getByRole('heading', { level: 1, name: username }).waitFor();
    const purchases = page
      .getByRole('region', { name: 'Purchases' })
      .or(page.locator('section', { has: page.getByRole('heading', { name: 'Purchases' }) }));
    await purchases.getByText('€210.00').first().waitFor();
    await purchases.getByRole('link', { name }).waitFor();
    await settled(page);
    await top(page);
    await check(page, 'admin-user');
    await page.goto(`/profile?username=${username}`);
    await page.waitForURL((u) => u.pathname === `/admin/users/${username}`);
    await page.goto(`/profile?username=${ADMIN.username}`);
    await page.waitForURL((u) => u.pathname === '/me');
    expect(s.errors).toEqual([]);
    await s.context.close();
  });

  // Acceptance 3 (admin-static): add and remove a value; a value in use shows the API's message.
  it('static lists: adds and removes a value; a value in use cannot be removed and says why', async () => {
    const s = await adminSession();
    const { page } = s;
    await apiEvent(s, `Static Check ${randomUUID().slice(0, 6)}`);
    await page.goto('/admin/static');
    await page.getByRole('heading', { level: 1, name: 'Static lists' }).waitFor();
    const locations = page.getByRole('region', { name: 'Locations' });
    const fresh = `town-${randomUUID().slice(0, 6)}`;
    await locations.getByLabel('New location').fill(fresh);
    await locations.getByRole('button', { name: 'Add', exact: true }).click();
    await locations.getByText(`Added ${fresh}.`).waitFor();
    await locations.getByRole('button', { name: `Remove ${fresh} from locations` }).waitFor();

    const used = statics.locations[0]!;
    await locations.getByRole('button', { name: `Remove ${used} from locations` }).click();
    await locations.getByText(`${used} is used by an event and cannot be removed`, { exact: false }).waitFor();
    await settled(page);
    await check(page, 'admin-static');

    await locations.getByRole('button', { name: `Remove ${fresh} from locations` }).click();
    await locations.getByText(`Removed ${fresh}.`).waitFor();
    const lists = (await (await fetch(`${stack.baseUrl}/api/static`)).json()) as typeof statics;
    expect(lists.locations).not.toContain(fresh);
    expect(lists.locations).toContain(used);
    expect(s.errors).toEqual([]);
    await s.context.close();
  });

  // Acceptance 3 (admin-keys): pick an event's key, see its revisions; a deletion is marked.
  it("key history: an event's keys from the picker, every version newest first, the deletion marked", async () => {
    const s = await adminSession();
    const { page } = s;
    const name = `History Night ${randomUUID().slice(0, 6)}`;
    const { eventId } = await apiEvent(s, name);
    const patch = await s.context.request.patch(`/api/events/${eventId}`, {
      headers: { origin: stack.baseUrl },
      data: { expectedVersion: 1, name: `${name} (2 nights)` },
    });
    expect(patch.status()).toBe(200);
    await page.goto('/admin/keys');
    await page.getByRole('heading', { level: 1, name: 'Key history' }).waitFor();
    await page.getByLabel('Event', { exact: true }).selectOption(eventId);
    await page.getByRole('button', { name: /^Event record/ }).click();
    await page.waitForURL((u) => u.searchParams.get('key') === `event:${eventId}`);
    await page.getByRole('article', { name: /^Version 2, revision \d+$/ }).waitFor();
    await page
      .getByRole('article', { name: /^Version 1, revision \d+$/ })
      .getByText(`"name": "${name}"`)
      .waitFor();
    await page
      .getByRole('button', { name: new RegExp(`^Tickets: `) })
      .first()
      .waitFor();
    await settled(page);
    await check(page, 'admin-keys');

    const del = await s.context.request.delete(`/api/events/${eventId}?expectedVersion=2`, { headers: { origin: stack.baseUrl } });
    expect(del.status()).toBe(204);
    await page.getByRole('button', { name: 'Refresh' }).click();
    await page.getByRole('article', { name: /^Version 3, revision \d+, deleted$/ }).waitFor();
    expect(s.errors).toEqual([]);
    await s.context.close();
  });

  // Acceptance 2: a non-admin opening /admin/... sees "not for you", not the data.
  it('a non-admin user opening the admin pages sees "not for you", not the data', async () => {
    const s = await newSession(browser, stack.baseUrl);
    const username = `plain${randomUUID().slice(0, 8)}`;
    await apiRegister(s, stack.baseUrl, username, 'plain-password-1');
    await apiLogin(s, stack.baseUrl, username, 'plain-password-1');
    for (const path of ['/admin/events', '/admin/stats', '/admin/static', '/admin/keys', '/admin/events/new']) {
      await s.page.goto(path);
      await s.page.getByRole('heading', { name: 'Not for you' }).waitFor();
      await expect(s.page.getByRole('navigation', { name: 'Admin' }).count()).resolves.toBe(0);
      await expect(s.page.getByTestId('total-revenue').count()).resolves.toBe(0);
      await expect(s.page.getByRole('table').count()).resolves.toBe(0);
    }
    expect(s.errors).toEqual([]);
    await s.context.close();
  });
});
