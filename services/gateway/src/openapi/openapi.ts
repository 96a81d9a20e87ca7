/** The OpenAPI document, generated from the controllers' decorators and the zod contracts. */
import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, SwaggerModule, type OpenAPIObject, type OperationObject } from '@nestjs/swagger';
import { PLATFORM_ROUTES } from './platform-routes.js';
import { errorBody, jsonSchema } from './schemas.js';

export function buildOpenApiDocument(app: INestApplication): OpenAPIObject {
  const config = new DocumentBuilder()
    .setTitle('TickETCD API')
    .setDescription(
      [
        'Tickets sold from a five-member etcd cluster. Every error has one shape: `{ "error": { status, code, message, requestId, fields?, dependency?, details? } }`.',
        "Log in with POST /api/auth/login; the session is an HttpOnly cookie. Writes from a browser must come from the gateway's own origin.",
        'POST /api/orders needs an `Idempotency-Key` header: repeating it returns the first reply and never buys twice.',
      ].join('\n\n'),
    )
    .setVersion('1')
    // Relative: the API is served by the same gateway as this document (and the web UI), at
    // whatever origin a deployment gives it, so an absolute URL would be wrong for all but one.
    .addServer('/', 'The gateway serving this document (same origin)')
    .addCookieAuth('ticketcd_session', { type: 'apiKey', in: 'cookie', name: 'ticketcd_session' }, 'session')
    .build();
  const doc = SwaggerModule.createDocument(app, config, {
    operationIdFactory: (controller, method) => `${controller.replace(/Controller$/, '')}_${method}`,
  });
  // One error schema, referenced by every error response.
  doc.components = { ...doc.components, schemas: { ...doc.components?.schemas, Error: jsonSchema(errorBody, 'output') as never } };
  // As package.json: not licensed for use by others (DocumentBuilder.setLicense needs a URL; there is none).
  doc.info.license = { name: 'UNLICENSED (proprietary)' };
  documentPlatformRoutes(doc);
  for (const [, op] of operations(doc)) {
    // A route's only security requirement comes from @Auth, the decorator that also makes
    // AccessGuard require the session: an operation without one is public, said explicitly.
    op.security ??= [];
  }
  return doc;
}

/**
 * /healthz, /readyz and /metrics come from @ticketcd/platform, which every service shares and which
 * does not load @nestjs/swagger (half a second of startup for each): they are documented here. A
 * route listed here but gone from the app throws; one added to the app but not here fails the lint
 * (no summary).
 */
function documentPlatformRoutes(doc: OpenAPIObject): void {
  for (const [path, methods] of Object.entries(PLATFORM_ROUTES)) {
    for (const [method, extra] of Object.entries(methods)) {
      const op = doc.paths[path]?.[method as 'get'];
      if (!op)
        throw new Error(`OpenAPI: ${method.toUpperCase()} ${path} is documented in platform-routes.ts but the app has no such route`);
      Object.assign(op, extra);
    }
  }
}

function* operations(doc: OpenAPIObject): Generator<[string, OperationObject]> {
  for (const [path, item] of Object.entries(doc.paths)) {
    for (const method of ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const) {
      const op = item[method];
      if (op) yield [`${method.toUpperCase()} ${path}`, op];
    }
  }
}
