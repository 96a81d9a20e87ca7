/**
 * The buyer's pages in real Chromium against the real stack (issue 14, Web UI): the landing
 * page's forms, search as you type, the event page with its live stock, favourite and alert,
 * checkout, and the profile. Every page is checked (axe, no console errors) and screenshotted in
 * its main states.
 */
import { waitFor } from '@ticketcd/testing';
import type { Browser } from 'playwright-core';
import { checkPage, launchBrowser, newSession, startUiStack } from './browser.js';
import { Api, createEvent, staticLists, transitionsDone, type Lists } from './buyer.fixtures.js';

let stack: Awaited<ReturnType<typeof startUiStack>>;
let browser: Browser;
let admin: Api;
let lists: Lists;

beforeAll(async () => {
  [stack, browser] = await Promise.all([startUiStack(), launchBrowser()]);
  admin = await Api.admin(stack.baseUrl);
  lists = await staticLists(admin);
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await stack?.close();
});

it('buyer journey: register on the landing page, search by a prefix, favourite, set a limit, buy two types in one order, see it on the profile', async () => {
  const [general, vip] = [lists.ticketTypes[0]!, lists.ticketTypes[1]!];
  const eventId = await createEvent(admin, lists, {
    name: 'Zephyr Lanterns Live',
    description: 'The Zephyr Lanterns bring their new record to town.\nSupport act from 20:00.',
    tickets: [
      { type: general, total: 200, price: 3500 },
      { type: vip, total: 40, price: 9000 },
    ],
  });
  // Another event, so the list is not a list of one.
  await createEvent(admin, lists, { name: 'Harbour Jazz Nights', days: 40, tickets: [{ type: general, total: 100, price: 2000 }] });

  const s = await newSession(browser, stack.baseUrl);
  const { page } = s;

  await page.goto('/');
  await page.getByRole('heading', { level: 1 }).waitFor();
  await checkPage(page, 'landing');

  // Errors come back inline, under the field they concern; wrong credentials say so.
  const register = page.getByRole('form', { name: 'Create an account' });
  await register.getByLabel('Username').fill('No Spaces!');
  await register.getByLabel('Password').fill('short');
  await register.getByRole('button', { name: /Create account/ }).click();
  await register.locator('[aria-invalid="true"]').first().waitFor();
  expect(await register.locator('[aria-invalid="true"]').count()).toBe(2);
  const login = page.getByRole('form', { name: 'Log in' });
  await login.getByLabel('Username').fill('nobody.here');
  await login.getByLabel('Password').fill('not the password');
  await login.getByRole('button', { name: 'Log in' }).click();
  await login.getByRole('alert').filter({ hasText: 'do not match' }).waitFor();
  await transitionsDone(page);
  await checkPage(page, 'landing-errors');

  // Register through the form: straight to the events.
  await register.getByLabel('Username').fill('zoe.buyer');
  await register.getByLabel('Password').fill('a long passphrase');
  await register.getByLabel('Name (optional)').fill('Zoë Buyer');
  await register.getByRole('button', { name: /Create account/ }).click();
  await page.waitForURL((u) => u.pathname === '/events');
  await page.getByRole('link', { name: 'Harbour Jazz Nights' }).waitFor();
  await page.getByText(/^from/).first().waitFor();
  await checkPage(page, 'home');

  // A logged-in visitor of the landing page goes to the events.
  await page.goto('/');
  await page.waitForURL((u) => u.pathname === '/events');

  // Profile before buying anything.
  await page.goto('/me');
  await page.getByRole('heading', { name: 'No purchases yet' }).waitFor();
  await checkPage(page, 'profile-empty');

  // Search as you type: two words, the last one a prefix; the URL follows.
  await page.goto('/events');
  const box = page.getByRole('searchbox', { name: 'Search events' });
  await box.pressSequentially('zephyr lan', { delay: 30 });
  await page.waitForURL((u) => u.searchParams.get('q') === 'zephyr lan');
  await page.getByRole('heading', { name: /Results for/ }).waitFor();
  await page.getByRole('link', { name: 'Zephyr Lanterns Live' }).waitFor();
  await waitFor(async () => (await page.getByRole('link', { name: 'Harbour Jazz Nights' }).count()) === 0, { what: 'only the match' });
  await page.getByText(/^from/).first().waitFor();
  await checkPage(page, 'home-search');

  await box.fill('qqqnothing');
  await page.getByRole('heading', { name: 'No events match' }).waitFor();
  await checkPage(page, 'home-empty');
  // The header's Events link clears the search: the box follows the URL.
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Events' }).click();
  await page.getByRole('link', { name: 'Harbour Jazz Nights' }).waitFor();
  await waitFor(async () => (await box.inputValue()) === '', { what: 'the box emptied' });
  expect(new URL(page.url()).searchParams.get('q')).toBeNull();
  await box.fill('zephyr lan');
  await page.getByRole('link', { name: 'Zephyr Lanterns Live' }).click();

  // The event page: favourite, a limit, two types.
  await page.waitForURL((u) => u.pathname === `/events/${eventId}`);
  await page.getByRole('heading', { level: 1, name: 'Zephyr Lanterns Live' }).waitFor();
  await page.locator('main [data-live="live"]').waitFor();
  await page.getByRole('button', { name: /Add to favourites/ }).click();
  await page.getByRole('button', { name: /Saved to favourites · 1 person/, pressed: true }).waitFor();
  await page.getByLabel('Alert me when this many or fewer remain').fill('15');
  await page.getByRole('button', { name: 'Alert me' }).click();
  await page.getByTestId('alert-status').filter({ hasText: '15 or fewer' }).waitFor();
  const more = (type: string) => page.getByTestId(`ticket-${type}`).getByRole('button', { name: /One more/ });
  await more(general).click();
  await more(general).click();
  await more(vip).click();
  await page.getByRole('complementary', { name: 'Order summary' }).getByText('3 tickets').waitFor();
  await checkPage(page, 'event');
  await page.getByRole('button', { name: 'Buy tickets' }).click();

  // Checkout: the lines and the total, confirm once.
  await page.waitForURL((u) => u.pathname === `/events/${eventId}/tickets` && u.searchParams.get(general) === '2');
  await expect(page.getByTestId('order-total').textContent()).resolves.toMatch(/160[.,]00/);
  await checkPage(page, 'checkout');
  await page.getByRole('button', { name: /Confirm and pay/ }).click();
  await page.getByRole('heading', { name: /You have your tickets/ }).waitFor();
  const orderId = (await page.getByTestId('order-id').textContent())!;
  await checkPage(page, 'checkout-done');

  // The profile: the purchase (written by the orders consumer: it may take a moment) and the favourite.
  await page.getByRole('link', { name: 'See my purchases' }).click();
  const purchases = page.getByRole('region', { name: 'My purchases' });
  await waitFor(
    async () => {
      if (await purchases.getByText(orderId).count()) return true;
      await page.reload();
      await purchases.waitFor();
      return false;
    },
    { timeoutMs: 20_000, intervalMs: 500, what: 'the purchase on the profile' },
  );
  await purchases.getByRole('link', { name: 'Zephyr Lanterns Live' }).waitFor();
  await page
    .getByRole('region', { name: 'My favourites' })
    .getByRole('link', { name: /Zephyr Lanterns Live/ })
    .waitFor();
  await checkPage(page, 'profile');
  expect(s.errors).toEqual([]);
  await s.context.close();
});

it("two browsers: one buys, the other's open event page updates its remaining count without reload", async () => {
  const type = lists.ticketTypes[0]!;
  const eventId = await createEvent(admin, lists, {
    name: 'Northern Lights Choir',
    maxPerOrder: 50,
    tickets: [{ type, total: 50, price: 1500 }],
  });
  const watcher = await newSession(browser, stack.baseUrl);
  await watcher.page.goto(`/events/${eventId}`);
  await watcher.page.locator('main [data-live="live"]').waitFor();
  const remaining = watcher.page.getByTestId(`remaining-${type}`);
  await expect(remaining.textContent()).resolves.toBe('50 of 50 left');
  // Anonymous: everything is shown, buying asks to log in.
  await watcher.page.getByRole('button', { name: 'Log in to buy' }).waitFor();
  await watcher.page.getByRole('link', { name: 'Log in to set an alert' }).waitFor();
  await watcher.page.getByRole('link', { name: /Log in to save/ }).waitFor();

  // The other browser buys through the UI.
  const buyer = await newSession(browser, stack.baseUrl);
  const api = await Api.user(stack.baseUrl);
  await buyer.page.goto('/');
  const login = buyer.page.getByRole('form', { name: 'Log in' });
  const who = (await api.request('GET', '/api/auth/me')).body.username as string;
  await login.getByLabel('Username').fill(who);
  await login.getByLabel('Password').fill('a long passphrase');
  await login.getByRole('button', { name: 'Log in' }).click();
  await buyer.page.waitForURL((u) => u.pathname === '/events');
  await buyer.page.goto(`/events/${eventId}/tickets?${type}=3`);
  await buyer.page.getByRole('button', { name: /Confirm and pay/ }).click();
  await buyer.page.getByRole('heading', { name: /You have your tickets/ }).waitFor();

  // ...and the watcher sees it, then an API purchase too, with no reload.
  await watcher.page.getByText('47 of 50 left').waitFor({ timeout: 10_000 });
  expect((await api.buy(eventId, [{ type, quantity: 45 }])).status).toBe(201);
  await watcher.page.getByText('2 of 50 left').waitFor({ timeout: 10_000 });
  await watcher.page.getByTestId(`ticket-${type}`).getByText('Few left').waitFor();
  expect(await watcher.page.evaluate(() => performance.getEntriesByType('navigation').length)).toBe(1);
  expect(watcher.errors).toEqual([]);
  expect(buyer.errors).toEqual([]);
  await watcher.context.close();
  await buyer.context.close();
});

it('a sold-out event says so, and an anonymous visitor is asked to log in to buy', async () => {
  const type = lists.ticketTypes[0]!;
  const eventId = await createEvent(admin, lists, { name: 'Velvet Echo Reunion', tickets: [{ type, total: 4, price: 5500 }] });
  const other = await Api.user(stack.baseUrl);
  expect((await other.buy(eventId, [{ type, quantity: 4 }])).status).toBe(201);
  const s = await newSession(browser, stack.baseUrl);
  await s.page.goto(`/events/${eventId}`);
  await s.page.getByTestId('sold-out').waitFor();
  await s.page.getByRole('link', { name: /Log in to save/ }).waitFor();
  await expect(s.page.getByRole('button', { name: 'Sold out' }).isDisabled()).resolves.toBe(true);
  await s.page.locator('main [data-live="live"]').waitFor();
  await checkPage(s.page, 'event-sold-out');
  expect(s.errors).toEqual([]);
  await s.context.close();
});

it('the events page pages with "Load more" and keeps past events apart', async () => {
  const type = lists.ticketTypes[0]!;
  // 13 upcoming events sharing a word (one more than a page), and one that took place.
  for (let i = 0; i < 13; i++)
    await createEvent(admin, lists, {
      name: `Marigold Series night ${i + 1}`,
      days: 50 + i,
      tickets: [{ type, total: 10, price: 1000 + i }],
    });
  await createEvent(admin, lists, { name: 'Marigold Series opening', days: -3, tickets: [{ type, total: 10, price: 900 }] });
  const s = await newSession(browser, stack.baseUrl);
  await s.page.goto('/events?q=marigold');
  const upcoming = s.page.getByRole('region', { name: /Results for/ });
  await waitFor(async () => (await upcoming.getByRole('article').count()) === 12, { timeoutMs: 20_000, what: 'a first page of 12' });
  await s.page.getByRole('button', { name: 'Load more events' }).click();
  await waitFor(async () => (await upcoming.getByRole('article').count()) === 13, { what: 'the 13th after Load more' });
  const past = s.page.getByRole('region', { name: 'Past events' });
  await past.getByRole('link', { name: 'Marigold Series opening' }).waitFor();
  await past.getByText('Took place').waitFor();
  await expect(s.page.getByRole('button', { name: 'Load more events' }).count()).resolves.toBe(0);
  expect(s.errors).toEqual([]);
  await s.context.close();
});
