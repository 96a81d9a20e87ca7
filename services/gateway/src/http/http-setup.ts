/**
 * The gateway's HTTP front: security headers, the web UI's files, the body size limit, proxy trust
 * and API docs.
 * Request ids come from the platform (X-Request-Id in, out, and in every log line).
 */
import type { INestApplication } from '@nestjs/common';
import type { NestExpressApplication } from '@nestjs/platform-express';
import type { NextFunction, Request, Response } from 'express';
import { SwaggerModule } from '@nestjs/swagger';
import { Metrics } from '@ticketcd/observability';
import helmet from 'helmet';
import type { GatewayConfig } from '../gateway.config.js';
import { buildOpenApiDocument } from '../openapi/openapi.js';
import { DEFAULT_WEB_DIR, webUi } from './web-ui.js';

export function configureGatewayHttp(app: INestApplication, config: GatewayConfig) {
  const http = app as NestExpressApplication;
  // A hop count, never `true`: Express then takes the X-Forwarded-For entry that many hops from the
  // gateway (the address the outermost trusted proxy saw), not the left-most one a client can write,
  // and reads X-Forwarded-Proto only from a trusted proxy (issue 26.1).
  http.set('trust proxy', config.TRUST_PROXY_HOPS);
  http.disable('x-powered-by');
  // Time in the gateway per route: against the client's latency it says whether requests wait
  // before the gateway reads them (the host) or inside it (the services behind it).
  const metrics = app.get(Metrics);
  http.use((req: Request, res: Response, next: NextFunction) => {
    const started = performance.now();
    res.on('finish', () => {
      const route = req.route
        ? `${req.baseUrl}${String((req.route as { path: unknown }).path)}`
        : req.path.startsWith('/api')
          ? 'unmatched'
          : 'static';
      metrics.httpDuration.observe({ method: req.method, route, status: String(res.statusCode) }, (performance.now() - started) / 1000);
    });
    next();
  });
  http.use(
    helmet({
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
    }),
  );
  http.use(webUi(config.WEB_DIR ?? DEFAULT_WEB_DIR));
  http.useBodyParser('json', { limit: config.BODY_LIMIT_BYTES, type: ['application/json', 'application/*+json'] });
  if (config.API_DOCS) {
    SwaggerModule.setup('api/docs', app, () => buildOpenApiDocument(app), {
      jsonDocumentUrl: 'api/docs/openapi.json',
      customSiteTitle: 'TickETCD API',
    });
  }
}
