/**
 * Issue 15 point 3 and acceptance "the admin page's scale control is covered by the UI tests":
 * on the cluster page the admin scales inventory to 2 and sees the new instance appear live in
 * the list, then back to 1; an HPA-managed service shows "Autoscaled by HPA (min–max)" with its
 * control off; a failed scale shows the API's message. Real Chromium, real stack, the local
 * launcher's control server (SCALER=local).
 */
import type { Browser, Locator } from 'playwright-core';
import { ADMIN, apiLogin, checkPage, launchBrowser, newSession, startUiStack, type UiSession } from './browser.js';

let stack: Awaited<ReturnType<typeof startUiStack>>;
let browser: Browser;
let s: UiSession;

beforeAll(async () => {
  [stack, browser] = await Promise.all([
    startUiStack({ SCALER_AUTOSCALED: 'orders', SCALER_HPA_RANGES: 'orders=2-6' }, { control: true }),
    launchBrowser(),
  ]);
  s = await newSession(browser, stack.baseUrl);
  await apiLogin(s, stack.baseUrl, ADMIN.username, ADMIN.password);
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await stack?.close();
});

const card = (service: string): Locator => s.page.locator(`[data-testid="service"][data-service="${service}"]`);

async function openCluster() {
  await s.page.goto('/admin/cluster');
  await s.page.getByRole('heading', { name: 'Cluster', level: 1 }).waitFor();
  await card('inventory').getByTestId('scale-control').waitFor();
}

describe('admin scale control', () => {
  it('scales inventory to 2 from the page: the new instance appears live in the list; then back to 1', async () => {
    await openCluster();
    const inv = card('inventory');
    const input = inv.getByLabel('Desired instances of inventory');
    expect(await input.inputValue()).toBe('1');
    await inv.getByText('1 instance live, as desired').waitFor();

    await inv.getByRole('button', { name: 'One more inventory instance' }).click();
    expect(await input.inputValue()).toBe('2');
    await inv.getByRole('button', { name: 'Apply' }).click();
    // The second instance registers (svc: key) and the live list shows it, without a reload.
    await inv.getByText('inventory-1', { exact: true }).waitFor({ timeout: 60_000 });
    await inv.getByText('2 instances', { exact: true }).waitFor();
    await inv.getByText('2 instances live, as desired').waitFor({ timeout: 15_000 });
    await checkPage(s.page, 'admin-scale');

    // Typed rather than stepped: back to 1, and the drained instance leaves the list.
    await input.fill('1');
    await inv.getByRole('button', { name: 'Apply' }).click();
    await inv.getByText('inventory-1', { exact: true }).waitFor({ state: 'detached', timeout: 30_000 });
    await inv.getByText('1 instance live, as desired').waitFor({ timeout: 15_000 });
    const api = await (await s.context.request.get('/api/admin/services')).json();
    expect(api.services.find((r: { service: string }) => r.service === 'inventory')).toMatchObject({ desired: 1 });
    expect(s.errors).toEqual([]);
  });

  it('an HPA-managed service says so and its control is off', async () => {
    await openCluster();
    const orders = card('orders');
    await orders.getByText('Autoscaled by HPA (2–6)').waitFor();
    expect(await orders.getByLabel('Desired instances of orders').isDisabled()).toBe(true);
    expect(await orders.getByRole('button', { name: 'Apply' }).isDisabled()).toBe(true);
    expect(await orders.getByRole('button', { name: 'One more orders instance' }).isDisabled()).toBe(true);
    await checkPage(s.page, 'admin-scale-autoscaled');
    expect(s.errors).toEqual([]);
  });

  it('a value out of bounds cannot be applied; a failed scale shows the API message and request id', async () => {
    await openCluster();
    const cat = card('catalog');
    const input = cat.getByLabel('Desired instances of catalog');
    await input.fill('25');
    await cat.getByText('A whole number from 1 to 20').waitFor();
    expect(await cat.getByRole('button', { name: 'Apply' }).isDisabled()).toBe(true);

    // The launcher stops answering (as the gateway reports it: 503 naming it).
    await s.page.route('**/api/admin/services/catalog/scale', (route) =>
      route.fulfill({
        status: 503,
        contentType: 'application/json',
        body: JSON.stringify({
          error: {
            status: 503,
            code: 'UNAVAILABLE',
            message: 'local stack launcher did not answer within 3000 ms',
            dependency: 'local stack launcher',
            requestId: 'req-scale-503',
          },
        }),
      }),
    );
    await input.fill('2');
    await cat.getByRole('button', { name: 'Apply' }).click();
    const alert = cat.getByRole('alert');
    await alert.getByText('Scaling catalog failed').waitFor();
    await alert.getByText('local stack launcher did not answer within 3000 ms').waitFor();
    await alert.getByText('req-scale-503').waitFor();
    await checkPage(s.page, 'admin-scale-error');
    await s.page.unroute('**/api/admin/services/catalog/scale');
    expect(s.errors).toEqual([]);
  });

  it('shows the pending state while the live count differs from the desired one', async () => {
    // A snapshot taken mid-scale (desired one above what runs), so the state is there to see and check.
    await s.page.route('**/api/admin/services', async (route) => {
      const res = await route.fetch();
      const body = await res.json();
      for (const r of body.services) if (r.service === 'search-indexer') r.desired = r.instances.length + 1;
      await route.fulfill({ response: res, json: body });
    });
    await openCluster();
    const idx = card('search-indexer');
    await idx.getByRole('status').getByText('Scaling to 2: 1 of 2 live').waitFor();
    await checkPage(s.page, 'admin-scale-pending');
    await s.page.unroute('**/api/admin/services');
    await idx.getByText('1 instance live, as desired').waitFor({ timeout: 10_000 });
    expect(s.errors).toEqual([]);
  });
});
