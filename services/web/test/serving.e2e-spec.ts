/**
 * The gateway serves the web UI (services/web/dist) at `/` with history-API routing, leaves the
 * API alone, and the report's URLs redirect to the clean routes. In real Chromium.
 */
import type { Browser } from 'playwright-core';
import { checkPage, launchBrowser, newSession, startUiStack } from './browser.js';

let stack: Awaited<ReturnType<typeof startUiStack>>;
let browser: Browser;

beforeAll(async () => {
  [stack, browser] = await Promise.all([startUiStack(), launchBrowser()]);
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await stack?.close();
});

describe('the gateway serves the web UI', () => {
  it('any page address gets the app (history-API fallback); assets are cached for good, index.html revalidated', async () => {
    for (const p of ['/', '/events', '/events/01J9Z3Q5M4W8K2X7T6R1N0B9C8', '/admin/stats', '/me/notifications']) {
      const r = await fetch(stack.baseUrl + p, { headers: { accept: 'text/html' } });
      expect({ p, status: r.status, type: r.headers.get('content-type'), cache: r.headers.get('cache-control') }).toEqual({
        p,
        status: 200,
        type: expect.stringMatching(/text\/html/),
        cache: 'no-cache',
      });
      expect(await r.text()).toContain('<div id="root">');
    }
    const root = await fetch(stack.baseUrl + '/');
    // Own scripts only; no upgrade to https on a plain-http stack (it would break every asset).
    expect(root.headers.get('content-security-policy')).toMatch(/script-src 'self'/);
    expect(root.headers.get('content-security-policy')).not.toMatch(/upgrade-insecure-requests/);
    const html = await root.text();
    const asset = html.match(/\/assets\/[^"]+\.js/)![0];
    const a = await fetch(stack.baseUrl + asset);
    expect(a.status).toBe(200);
    expect(a.headers.get('cache-control')).toMatch(/immutable/);
  });

  it('the API, health and a missing asset are not the app: JSON 404s, not HTML', async () => {
    const api = await fetch(stack.baseUrl + '/api/nope', { headers: { accept: 'text/html' } });
    expect(api.status).toBe(404);
    expect(((await api.json()) as { error: { code: string } }).error.code).toBe('NOT_FOUND');
    expect((await fetch(stack.baseUrl + '/assets/missing-123.js')).status).toBe(404);
    expect((await fetch(stack.baseUrl + '/healthz')).status).toBe(200);
  });

  it("the report's URLs redirect to the clean routes", async () => {
    const s = await newSession(browser, stack.baseUrl);
    for (const [from, to] of [
      ['/home?search=rock', '/events?q=rock'],
      ['/event?id=01J9Z3Q5M4W8K2X7T6R1N0B9C8', '/events/01J9Z3Q5M4W8K2X7T6R1N0B9C8'],
      ['/tickets?eventid=01J9Z3Q5M4W8K2X7T6R1N0B9C8', '/events/01J9Z3Q5M4W8K2X7T6R1N0B9C8/tickets'],
      ['/notifications', '/'],
    ]) {
      await s.page.goto(from);
      await s.page.waitForURL((u) => u.pathname + u.search === to || (to === '/' && u.pathname === '/'));
    }
    await s.page.goto('/no/such/page');
    await s.page.getByRole('heading', { name: 'Page not found' }).waitFor();
    await checkPage(s.page, 'not-found');
    expect(s.errors).toEqual([]);
    await s.context.close();
  });

  it('a page whose code fails to load (a deploy under way) says so and offers a reload, not a blank page', async () => {
    const s = await newSession(browser, stack.baseUrl);
    await s.page.route('**/assets/event.page-*.js', (route) => route.fulfill({ status: 503, body: 'deploying' }));
    await s.page.goto('/events/01J9Z3Q5M4W8K2X7T6R1N0B9C8');
    await s.page.getByRole('heading', { name: 'A new version of TickETCD is out' }).waitFor();
    await checkPage(s.page, 'crash');
    await s.page.unroute('**/assets/event.page-*.js');
    await s.page.getByRole('button', { name: 'Reload the page' }).click();
    await s.page
      .getByRole('heading', { name: 'Not found' })
      .or(s.page.getByText(/no event|not found/i).first())
      .waitFor();
    // The only console errors are the failed chunk under test (React Router reports what it caught).
    expect(s.errors.filter((e) => !/Failed to fetch dynamically imported module/.test(e))).toEqual([]);
    await s.context.close();
  });
});
