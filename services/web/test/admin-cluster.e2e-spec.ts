/**
 * Issue 14 (web UI), admin cluster page: five etcd member tiles with exactly one leader (star and
 * word), raft term and index, db size against the quota; the live service instances per service;
 * refreshed live. Its bad states: a stopped member shows unreachable; a failed refresh keeps the
 * last status marked stale; etcd down (503) with nothing shown yet gets the recovering state. In
 * real Chromium against the real stack.
 */
import type { Browser } from 'playwright-core';
import { ADMIN, apiLogin, checkPage, launchBrowser, newSession, startUiStack, type UiSession } from './browser.js';

let stack: Awaited<ReturnType<typeof startUiStack>>;
let browser: Browser;
let s: UiSession;

beforeAll(async () => {
  [stack, browser] = await Promise.all([startUiStack(), launchBrowser()]);
  s = await newSession(browser, stack.baseUrl);
  await apiLogin(s, stack.baseUrl, ADMIN.username, ADMIN.password);
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await stack?.close();
});

const SERVICES = ['gateway', 'catalog', 'inventory', 'orders', 'search-indexer', 'notifier'];

describe('admin cluster page', () => {
  it('shows five members, exactly one leader, term, index and db size, and the instances of each service', async () => {
    await s.page.goto('/admin/cluster');
    await s.page.getByRole('heading', { name: 'Cluster', level: 1 }).waitFor();
    const members = s.page.getByTestId('member');
    await members.nth(4).waitFor();
    expect(await members.count()).toBe(5);
    // Exactly one leader, marked by a star and the word.
    await s.page.locator('[data-testid="member"][data-leader]').first().waitFor();
    expect(await s.page.locator('[data-testid="member"][data-leader]').count()).toBe(1);
    expect(await s.page.getByTestId('member').getByText('leader', { exact: true }).count()).toBe(1);
    for (let i = 0; i < 5; i++) {
      const tile = members.nth(i);
      expect(await tile.getAttribute('data-reachable')).toBe('true');
      const text = (await tile.innerText()).replace(/\s+/g, ' ');
      expect(text).toMatch(/Raft term [1-9]\d*/i);
      expect(text).toMatch(/Raft index [1-9][\d,. ]*/i);
      expect(text).toMatch(/[\d.]+ (KiB|MiB) of 2\.0 GiB/);
      await tile.getByRole('meter', { name: 'DB size against the quota' }).waitFor();
    }
    // The API agrees on who leads.
    const api = await (await s.context.request.get('/api/admin/cluster')).json();
    const leader = api.members.find((m: { isLeader: boolean }) => m.isLeader);
    expect(await s.page.locator('[data-testid="member"][data-leader]').getByRole('heading').innerText()).toBe(leader.name);

    // Every service with its live instance.
    for (const name of SERVICES) {
      const card = s.page.locator(`[data-testid="service"][data-service="${name}"]`);
      await card.getByText('1 instance', { exact: true }).waitFor();
    }
    await checkPage(s.page, 'admin-cluster');

    // Refreshed live: the freshness line keeps saying it is live and recent.
    await s.page.locator('[data-stale="false"]').waitFor();
    expect(s.errors).toEqual([]);
  });

  it('a stopped member shows unreachable while the others keep their leader', async () => {
    const api = await (await s.context.request.get('/api/admin/cluster')).json();
    // Stop a follower (the index in the stack is the member's position in the name order).
    const names: string[] = api.members.map((m: { name: string }) => m.name).sort();
    const follower = api.members.find((m: { isLeader: boolean }) => !m.isLeader).name as string;
    const i = names.indexOf(follower);
    await s.page.goto('/admin/cluster');
    await s.page.getByTestId('member').nth(4).waitFor();
    await stack.stack.etcd.stopMember(i);
    try {
      const tile = s.page.locator('[data-testid="member"][data-reachable="false"]');
      await tile.waitFor({ timeout: 20_000 });
      expect(await tile.getByRole('heading').innerText()).toBe(follower);
      await tile.getByText('Unreachable').waitFor();
      await s.page.getByText('4 of 5').waitFor();
      await checkPage(s.page, 'admin-cluster-member-down');
    } finally {
      stack.stack.etcd.startMember(i);
      await stack.stack.etcd.waitHealthy(30_000);
    }
    await s.page.locator('[data-testid="member"][data-reachable="false"]').waitFor({ state: 'detached', timeout: 20_000 });
    expect(s.errors).toEqual([]);
  });

  it('a failed refresh keeps the last status marked stale; etcd down with nothing shown yet is the recovering state', async () => {
    await s.page.goto('/admin/cluster');
    await s.page.getByTestId('member').nth(4).waitFor();
    // The store stops answering (as the gateway answers when etcd is down: 503 naming etcd).
    const down = async (route: import('playwright-core').Route) =>
      route.fulfill({
        status: 503,
        contentType: 'application/json',
        headers: { 'x-request-id': 'req-cluster-503' },
        body: JSON.stringify({
          error: {
            code: 'UNAVAILABLE',
            message: 'no etcd member answered its status request',
            dependency: 'etcd',
            requestId: 'req-cluster-503',
          },
        }),
      });
    await s.page.route('**/api/admin/cluster', down);
    await s.page.getByText('Refresh failed: showing the last status we had').waitFor({ timeout: 10_000 });
    await s.page
      .locator('[data-stale="true"]')
      .getByText(/last updated \d+ s ago/)
      .waitFor();
    await checkPage(s.page, 'admin-cluster-stale');

    await s.page.reload();
    await s.page.getByRole('heading', { name: 'The ticket store is recovering' }).waitFor({ timeout: 10_000 });
    await s.page.getByText('Unavailable: etcd.').waitFor();
    await checkPage(s.page, 'admin-cluster-503');

    // It recovers by itself once etcd answers again.
    await s.page.unroute('**/api/admin/cluster', down);
    await s.page.getByTestId('member').nth(4).waitFor({ timeout: 15_000 });
    expect(s.errors).toEqual([]);
  });
});
