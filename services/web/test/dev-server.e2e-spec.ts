/**
 * README: `npm run web:dev` serves the UI with hot reload and proxies /api to a running stack
 * (GATEWAY_URL). Runs the same Vite dev server against a private stack: the page loads, reads
 * go through the proxy, and a cookie-authenticated write passes the gateway's CSRF check.
 */
import { waitFor } from '@ticketcd/testing';
import { spawn, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import net from 'node:net';
import path from 'node:path';
import { ADMIN, startUiStack } from './browser.js';

let stack: Awaited<ReturnType<typeof startUiStack>>;
let vite: ChildProcess | undefined;
let base: string;
let output = '';

const freePort = () =>
  new Promise<number>((resolve, reject) => {
    const srv = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
    srv.on('error', reject);
  });

beforeAll(async () => {
  stack = await startUiStack();
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  // What `npm run web:dev` runs (`vite` in services/web), on a free port instead of 5173.
  const viteBin = path.join(
    path.dirname(createRequire(path.resolve('services/web/package.json')).resolve('vite/package.json')),
    'bin/vite.js',
  );
  vite = spawn(process.execPath, [viteBin, '--port', String(port), '--strictPort'], {
    cwd: 'services/web',
    env: { ...process.env, GATEWAY_URL: stack.baseUrl },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  vite.stdout!.on('data', (d) => (output += d));
  vite.stderr!.on('data', (d) => (output += d));
  await waitFor(async () => (await fetch(base).catch(() => null))?.ok ?? false, {
    timeoutMs: 60_000,
    what: `vite dev server on ${base}: ${output}`,
  });
}, 180_000);

afterAll(async () => {
  vite?.kill('SIGTERM');
  await stack?.close();
});

it('serves the app with hot reload and proxies the API, writes included (the gateway sees its own origin)', async () => {
  const html = await (await fetch(base + '/events')).text();
  expect(html).toContain('/@vite/client');
  const events = await fetch(base + '/api/events?limit=1');
  expect(events.status).toBe(200);
  expect(((await events.json()) as { items: unknown[] }).items).toEqual(expect.any(Array));
  // A browser on the dev server sends Origin: the dev server's; the proxy presents the gateway's.
  const login = await fetch(base + '/api/auth/login', {
    method: 'POST',
    headers: { 'content-type': 'application/json', origin: base },
    body: JSON.stringify(ADMIN),
  });
  expect(login.status).toBe(200);
  expect(login.headers.getSetCookie().length).toBeGreaterThan(0);
});
