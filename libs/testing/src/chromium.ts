/**
 * Debian's chromium driven by playwright-core (no browser download: the machine's own), for the
 * web UI's browser tests and bench:web. CHROMIUM_PATH overrides /usr/bin/chromium.
 */
import { chromium, type Browser } from 'playwright-core';

/** Headless on a closed network: none of the background connections Chromium makes to Google. */
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-dev-shm-usage',
];

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', args: CHROMIUM_ARGS });
}
