/**
 * The gateway's HTTP front on Fastify (issue 27: measured cheaper per request than Express):
 * security headers, the web UI's files, the body size limit, proxy trust and API docs.
 * Request ids come from the platform (X-Request-Id in, out, and in every log line).
 * Everything per request is one Fastify hook, not `app.use` middleware (@fastify/middie).
 */
import type { INestApplication } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { SwaggerModule } from '@nestjs/swagger';
import type { FastifyServerOptions } from '@ticketcd/platform';
import type { FastifyReply } from 'fastify';
import { Metrics } from '@ticketcd/observability';
import bodyParser from 'body-parser';
import type { IncomingMessage, ServerResponse } from 'node:http';
import helmet, { type HelmetOptions } from 'helmet';
import type { GatewayConfig } from '../gateway.config.js';
import { buildOpenApiDocument } from '../openapi/openapi.js';
import { pathOf } from './request.js';
import { DEFAULT_WEB_DIR, webUi } from './web-ui.js';

/** Fastify's server options, fixed when the server is created. */
export function gatewayFastifyOptions(config: GatewayConfig): FastifyServerOptions {
  const hops = config.TRUST_PROXY_HOPS;
  const headers = gatewaySecurityHeaders(config);
  return {
    // Routes as Express matched them: a trailing slash is the same route, and a parameter of any
    // length reaches the route (its schema answers 400) rather than being a 404.
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 16_384 },
    // A target the router cannot read (bad percent-encoding, an over-long parameter) is answered
    // before any hook runs: still in the API's error shape, with the request id and helmet's headers.
    frameworkErrors: (error, req, reply) => {
      const res = reply.raw;
      res.setHeader('X-Request-Id', String(req.id));
      for (const [name, value] of headers) res.setHeader(name, value);
      const status = error.statusCode && error.statusCode >= 400 && error.statusCode < 500 ? error.statusCode : 400;
      void (reply as unknown as FastifyReply)
        .status(status)
        .send({ error: { status, code: 'BAD_REQUEST', message: error.message, requestId: String(req.id) } });
    },
    // A hop count, never `true`: the X-Forwarded-For entry that many hops from the gateway (the
    // address the outermost trusted proxy saw), not the left-most one a client can write, and
    // X-Forwarded-Proto only from a trusted proxy (issue 26.1). Express's `trust proxy` = n is this
    // function; Fastify 5 given a number trusts no hop at all. 0: no proxy.
    trustProxy: hops > 0 ? (_address: string, hop: number) => hop < hops : false,
  };
}

/**
 * Helmet's headers with the gateway's options, worked out once: with these options they are the
 * same for every response, so each request only copies them (no helmet middleware per request).
 */
export function securityHeaders(options: HelmetOptions): [string, string][] {
  const headers = new Map<string, string>();
  const res = {
    setHeader: (name: string, value: unknown) => headers.set(name, String(value)),
    removeHeader: (name: string) => headers.delete(name),
  };
  let called = false;
  helmet(options)({} as IncomingMessage, res as unknown as ServerResponse, () => (called = true));
  if (!called) throw new Error('helmet did not finish synchronously');
  return [...headers];
}

/** Helmet's headers with the gateway's options. */
function gatewaySecurityHeaders(config: GatewayConfig): [string, string][] {
  return securityHeaders({
    // The UI and the docs load only their own scripts; inline styles are allowed (swagger-ui, chart sizing).
    contentSecurityPolicy: {
      directives: {
        'script-src': ["'self'"],
        'style-src': ["'self'", "'unsafe-inline'"],
        // Only where the site is served over TLS: on plain http (a dev stack, an ingress without TLS) it would break every asset.
        'upgrade-insecure-requests': config.COOKIE_SECURE === 'true' ? [] : null,
      },
    },
    hsts: config.COOKIE_SECURE === 'true',
  });
}

export function configureGatewayHttp(app: INestApplication, config: GatewayConfig) {
  const http = app as NestFastifyApplication;
  const fastify = http.getHttpAdapter().getInstance();
  const metrics = app.get(Metrics);
  const headers = gatewaySecurityHeaders(config);
  const serveWebUi = webUi(config.WEB_DIR ?? DEFAULT_WEB_DIR);
  fastify.addHook('onRequest', (req, reply, done) => {
    const res = reply.raw;
    // Time in the gateway per route: against the client's latency it says whether requests wait
    // before the gateway reads them (the host) or inside it (the services behind it).
    const started = performance.now();
    res.once('finish', () => {
      const route = !req.is404 ? req.routeOptions.url : pathOf(req.url).startsWith('/api') ? 'unmatched' : 'static';
      metrics.httpDuration.observe({ method: req.method, route, status: String(res.statusCode) }, (performance.now() - started) / 1000);
    });
    // On the Node response: every reply carries them, also errors and those written raw (SSE, files).
    for (const [name, value] of headers) res.setHeader(name, value);
    // Routes never match a page of the web UI, so its files are served before routing's handlers.
    if (req.is404) serveWebUi(req.raw, res, pathOf(req.url), done);
    else done();
  });
  // The JSON body parser the gateway had on Express (body-parser: its limit, types, 413 and 400
  // answers unchanged); any other content type is left unread, so the route's schema says what is
  // missing rather than a 415.
  const json = bodyParser.json({ limit: config.BODY_LIMIT_BYTES, type: ['application/json', 'application/*+json'] });
  fastify.removeAllContentTypeParsers();
  fastify.addContentTypeParser('*', (_req, payload, done) => {
    const raw = payload as IncomingMessage & { body?: unknown };
    // body-parser reads only the request (and binds its callback to the request's trace).
    json(raw, undefined as unknown as ServerResponse, (err?: unknown) => (err ? done(err as Error) : done(null, raw.body)));
  });
  if (config.API_DOCS) {
    SwaggerModule.setup('api/docs', app, () => buildOpenApiDocument(app), {
      jsonDocumentUrl: 'api/docs/openapi.json',
      customSiteTitle: 'TickETCD API',
    });
  }
}
