/** The OpenAPI document, generated from the controllers' decorators and the zod contracts. */
import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, SwaggerModule, type OpenAPIObject } from '@nestjs/swagger';
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
    .addCookieAuth('ticketcd_session', { type: 'apiKey', in: 'cookie', name: 'ticketcd_session' }, 'session')
    .build();
  const doc = SwaggerModule.createDocument(app, config, {
    operationIdFactory: (controller, method) => `${controller.replace(/Controller$/, '')}_${method}`,
  });
  // One error schema, referenced by every error response.
  doc.components = { ...doc.components, schemas: { ...doc.components?.schemas, Error: jsonSchema(errorBody, 'output') as never } };
  return doc;
}
