/// <reference lib="dom" />
/**
 * The web UI's browser tests: Debian's chromium driven by playwright-core, against a real stack
 * (etcd x5, nats-server -js, every service; the gateway serves services/web/dist).
 *
 * Each page a test visits goes through `visit()`: no console errors, an axe-core check that
 * finds no serious or critical violation, and screenshots at desktop (1280x800) and phone
 * (390x844) width in SCREENSHOT_DIR (default tmp/screenshots; `npm run screenshots` writes
 * docs/screenshots).
 */
import { launchChromium, startStackWithClients, type StackClients } from '@ticketcd/testing';
import axe from 'axe-core';
import fs from 'node:fs';
import path from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';

export const ADMIN = { username: 'admin', password: 'admin-test-password' };
export const DESKTOP = { width: 1280, height: 800 };
export const PHONE = { width: 390, height: 844 };

/**
 * The stack a browser test runs against: all six services, test-friendly rate limits.
 * `control`: the launcher's control server runs and the gateway scales through it (SCALER=local).
 */
export async function startUiStack(
  env: Record<string, string> = {},
  opts: { control?: boolean } = {},
): Promise<StackClients & { baseUrl: string }> {
  const clients = await startStackWithClients({
    control: opts.control,
    services: ['gateway', 'catalog', 'inventory', 'orders', 'search-indexer', 'notifier'],
    env: {
      ADMIN_USERNAME: ADMIN.username,
      ADMIN_PASSWORD: ADMIN.password,
      RATE_LOGIN_PER_USER: '100/60',
      RATE_LOGIN_PER_IP: '1000/60',
      RATE_ORDERS_PER_USER: '1000/10',
      ...env,
    },
  });
  return Object.assign(clients, { baseUrl: clients.stack.gatewayUrl! });
}

export const launchBrowser = launchChromium;

export interface UiSession {
  context: BrowserContext;
  page: Page;
  /** Console errors and uncaught exceptions seen so far (each test expects none). */
  errors: string[];
}

/** A fresh browser context (its own cookies) at desktop width, light mode, collecting console errors. */
export async function newSession(browser: Browser, baseUrl: string): Promise<UiSession> {
  const context = await browser.newContext({
    baseURL: baseUrl,
    viewport: DESKTOP,
    colorScheme: 'light',
    locale: 'en-GB',
    timezoneId: 'Europe/Lisbon',
  });
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('console', (m) => {
    // A 4xx/5xx the page asked for and shows is a designed state, not a page error.
    if (m.type() === 'error' && !/Failed to load resource: the server responded with a status of [45]\d\d/.test(m.text()))
      errors.push(m.text());
  });
  page.on('pageerror', (e) => errors.push(`uncaught: ${e.message}`));
  return { context, page, errors };
}

/** Logs the session's context in through the API (the cookie is shared with its pages). */
export async function apiLogin(s: UiSession, baseUrl: string, username: string, password: string): Promise<void> {
  const r = await s.context.request.post('/api/auth/login', { data: { username, password }, headers: { origin: baseUrl } });
  if (!r.ok()) throw new Error(`login ${username}: ${r.status()} ${await r.text()}`);
}

export async function apiRegister(s: UiSession, baseUrl: string, username: string, password: string): Promise<void> {
  const r = await s.context.request.post('/api/auth/register', { data: { username, password }, headers: { origin: baseUrl } });
  if (!r.ok()) throw new Error(`register ${username}: ${r.status()} ${await r.text()}`);
}

export interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: string[];
}

/** axe-core's serious and critical violations on the page as it is now. */
export async function axeViolations(page: Page): Promise<AxeViolation[]> {
  // Evaluated over the DevTools protocol: the page's CSP (script-src 'self') stays on and tested.
  if (!(await page.evaluate(() => 'axe' in window))) await page.evaluate(axe.source);
  const result = await page.evaluate(async () => {
    const w = window as unknown as { axe: typeof axe };
    return w.axe.run(document, { resultTypes: ['violations'] });
  });
  return result.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => ({ id: v.id, impact: v.impact ?? null, help: v.help, nodes: v.nodes.map((n) => n.target.join(' ')).slice(0, 5) }));
}

export const screenshotDir = () => path.resolve(process.env.SCREENSHOT_DIR ?? 'tmp/screenshots');

/**
 * Checks the page as it stands (axe: no serious or critical violation) and screenshots it at
 * desktop and phone width as `<name>-desktop.png` and `<name>-phone.png`.
 */
export async function checkPage(page: Page, name: string): Promise<void> {
  const violations = await axeViolations(page);
  expect({ page: name, violations }).toEqual({ page: name, violations: [] });
  const dir = screenshotDir();
  fs.mkdirSync(dir, { recursive: true });
  const before = page.viewportSize() ?? DESKTOP;
  for (const [label, size] of [
    ['desktop', DESKTOP],
    ['phone', PHONE],
  ] as const) {
    await page.setViewportSize(size);
    // Let layout settle at the new width (fonts, charts resize on a frame).
    await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
    if (label === 'phone') {
      const phoneViolations = await axeViolations(page);
      expect({ page: `${name} (phone)`, violations: phoneViolations }).toEqual({ page: `${name} (phone)`, violations: [] });
    }
    // The whole page in one viewport as tall as the page: fixed and sticky bars (the phone's buy
    // bar) sit where they would at the end of a scroll, not stamped mid-page as in a stitched capture.
    const height = await page.evaluate(() => document.documentElement.scrollHeight);
    await page.setViewportSize({ width: size.width, height: Math.max(size.height, height) });
    await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
    await page.screenshot({ path: path.join(dir, `${name}-${label}.png`), animations: 'disabled' });
  }
  await page.setViewportSize(before);
}

/** Waits until the page has no loading skeleton and no busy control left. */
export async function settled(page: Page): Promise<void> {
  await page.waitForLoadState('load');
  await page.waitForFunction(() => !document.querySelector('[aria-busy="true"], [data-skeleton]'), undefined, { timeout: 15_000 });
}
