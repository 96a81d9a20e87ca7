/**
 * Issue 27 (a cheaper HTTP edge): the gateway's HTTP front on Fastify answers as it did on Express:
 * helmet's headers on every reply, the JSON body limit (413) and body-parser's 400s, other content
 * types left unread, the web UI's files and history fallback, and proxy trust by hop count
 * (issue 26.1). Requests are injected into a Fastify app with the gateway's setup (no network).
 */
import 'reflect-metadata';
import { Body, Controller, Get, Ip, Module, Post } from '@nestjs/common';
import { APP_FILTER, NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { Metrics } from '@ticketcd/observability';
import { PinoLogger } from 'nestjs-pino';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { GatewayConfig } from '../gateway.config.js';
import { isFresh } from '../catalog/events.controller.js';
import { ApiErrorFilter } from './api-error.filter.js';
import { configureGatewayHttp, gatewayFastifyOptions } from './http-setup.js';
import { acceptsHtml } from './web-ui.js';

@Controller('api')
class ProbeController {
  @Post('echo')
  echo(@Body() body: unknown) {
    return { body: body ?? null };
  }

  @Get('ip')
  ip(@Ip() ip: string) {
    return { ip };
  }
}

const webDir = fs.mkdtempSync(path.join(os.tmpdir(), 'gateway-web-'));
fs.mkdirSync(path.join(webDir, 'assets'));
fs.writeFileSync(path.join(webDir, 'index.html'), '<!doctype html><title>app</title>');
fs.writeFileSync(path.join(webDir, 'assets', 'app-1234.js'), 'console.log(1)');

const config = (hops: number) =>
  ({ COOKIE_SECURE: 'auto', WEB_DIR: webDir, BODY_LIMIT_BYTES: 1024, API_DOCS: false, TRUST_PROXY_HOPS: hops }) as unknown as GatewayConfig;

async function gatewayApp(hops: number): Promise<NestFastifyApplication> {
  @Module({
    controllers: [ProbeController],
    providers: [
      { provide: Metrics, useValue: new Metrics('gateway', 'test') },
      { provide: PinoLogger, useValue: { setContext: () => undefined, error: () => undefined } },
      { provide: APP_FILTER, useClass: ApiErrorFilter },
    ],
  })
  class TestModule {}
  const app = await NestFactory.create<NestFastifyApplication>(TestModule, new FastifyAdapter(gatewayFastifyOptions(config(hops))), {
    logger: false,
    bodyParser: false,
  });
  configureGatewayHttp(app, config(hops));
  await app.init();
  await app.getHttpAdapter().getInstance().ready();
  return app;
}

describe('the gateway on Fastify (issue 27)', () => {
  let app: NestFastifyApplication;
  beforeAll(async () => {
    app = await gatewayApp(0);
  });
  afterAll(async () => {
    await app.close();
    fs.rmSync(webDir, { recursive: true, force: true });
  });

  it('runs on the Fastify adapter', () => {
    expect(app.getHttpAdapter().getType()).toBe('fastify');
  });

  it("sends helmet's headers on every reply, 404s of unknown API routes in the API's error shape", async () => {
    const r = await app.inject({ method: 'GET', url: '/api/nope' });
    expect(r.statusCode).toBe(404);
    expect(r.headers['x-content-type-options']).toBe('nosniff');
    expect(r.headers['content-security-policy']).toContain("script-src 'self'");
    expect(r.headers['x-powered-by']).toBeUndefined();
    expect(r.json()).toMatchObject({ error: { status: 404, code: 'NOT_FOUND', message: 'Cannot GET /api/nope' } });
    // Routes match as on Express: with a trailing slash too.
    expect((await app.inject({ method: 'GET', url: '/api/ip/' })).statusCode).toBe(200);
    // A target the router cannot read is answered before any hook: still the API's shape and headers.
    const bad = await app.inject({ method: 'GET', url: '/api/events/%E0%A4%A' });
    expect(bad.statusCode).toBe(400);
    expect(bad.headers['x-content-type-options']).toBe('nosniff');
    expect(bad.json()).toMatchObject({ error: { status: 400, code: 'BAD_REQUEST' } });
  });

  it('parses JSON bodies up to BODY_LIMIT_BYTES: 413 beyond, 400 for bad JSON, other types left unread', async () => {
    const post = (payload: string, type: string) =>
      app.inject({ method: 'POST', url: '/api/echo', payload, headers: { 'content-type': type } });
    expect((await post('{"a":1}', 'application/json')).json()).toEqual({ body: { a: 1 } });
    expect((await post('{"a":1}', 'application/merge-patch+json')).json()).toEqual({ body: { a: 1 } });
    const big = await post(JSON.stringify({ pad: 'x'.repeat(2000) }), 'application/json');
    expect(big.statusCode).toBe(413);
    expect(big.json()).toMatchObject({ error: { status: 413, code: 'PAYLOAD_TOO_LARGE' } });
    const bad = await post('{bad', 'application/json');
    expect(bad.statusCode).toBe(400);
    expect(bad.json()).toMatchObject({ error: { code: 'BAD_REQUEST' } });
    expect((await post('hello', 'text/plain')).json()).toEqual({ body: null });
  });

  it('serves the web UI: files with their cache headers, index.html for app pages, a 404 for a missing asset', async () => {
    const asset = await app.inject({ method: 'GET', url: '/assets/app-1234.js' });
    expect(asset.statusCode).toBe(200);
    expect(asset.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(asset.headers['x-content-type-options']).toBe('nosniff');
    const page = await app.inject({ method: 'GET', url: '/events/123', headers: { accept: 'text/html' } });
    expect(page.statusCode).toBe(200);
    expect(page.headers['cache-control']).toBe('no-cache');
    expect(page.body).toContain('<title>app</title>');
    const etag = page.headers.etag as string;
    expect(
      (await app.inject({ method: 'GET', url: '/events/123', headers: { accept: 'text/html', 'if-none-match': etag } })).statusCode,
    ).toBe(304);
    expect((await app.inject({ method: 'GET', url: '/assets/missing.js' })).statusCode).toBe(404);
    expect((await app.inject({ method: 'GET', url: '/other', headers: { accept: 'application/json' } })).statusCode).toBe(404);
    // A kubelet probe at a mistyped path (Accept: */*) is no page: 404, so the probe fails (issue 30).
    const probe = { 'user-agent': 'kube-probe/1.31', accept: '*/*' };
    expect((await app.inject({ method: 'GET', url: '/readyz-typo', headers: probe })).statusCode).toBe(404);
    expect((await app.inject({ method: 'GET', url: '/', headers: probe })).statusCode).toBe(200);
  });

  it('issue 26.1: trusts X-Forwarded-For only as far as TRUST_PROXY_HOPS says', async () => {
    const headers = { 'x-forwarded-for': '203.0.113.9, 198.51.100.7' };
    expect((await app.inject({ method: 'GET', url: '/api/ip', headers, remoteAddress: '10.0.0.1' })).json()).toEqual({ ip: '10.0.0.1' });
    const behindOne = await gatewayApp(1);
    try {
      // One proxy: the address it saw (the right-most entry), never the left-most a client writes.
      expect((await behindOne.inject({ method: 'GET', url: '/api/ip', headers, remoteAddress: '10.0.0.1' })).json()).toEqual({
        ip: '198.51.100.7',
      });
    } finally {
      await behindOne.close();
    }
  });

  it("accepts HTML and freshness as Express's req.accepts and res.send tested them", () => {
    expect(acceptsHtml(undefined)).toBe(true);
    expect(acceptsHtml('text/html,application/xhtml+xml,*/*;q=0.8')).toBe(true);
    expect(acceptsHtml('application/json')).toBe(false);
    expect(acceptsHtml('text/html;q=0, */*')).toBe(false);
    // A page other than the root needs HTML named: a probe's */* at a mistyped path is no page.
    expect(acceptsHtml('*/*')).toBe(true);
    expect(acceptsHtml('*/*', true)).toBe(false);
    expect(acceptsHtml(undefined, true)).toBe(false);
    expect(acceptsHtml('text/html,application/xhtml+xml,*/*;q=0.8', true)).toBe(true);
    expect(acceptsHtml('text/*', true)).toBe(true);
    expect(isFresh({ 'if-none-match': 'W/"abc"' }, 'W/"abc"')).toBe(true);
    expect(isFresh({ 'if-none-match': '"x", W/"abc"' }, 'W/"abc"')).toBe(true);
    expect(isFresh({ 'if-none-match': 'W/"abc"', 'cache-control': 'no-cache' }, 'W/"abc"')).toBe(false);
    expect(isFresh({}, 'W/"abc"')).toBe(false);
  });
});
