/** The gateway's OpenAPI document as stable JSON, built without connecting to anything. */
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { baseServiceConfig, loadConfig } from '@ticketcd/config';
import { PlatformModule } from '@ticketcd/platform';
import { GatewayModule } from '../gateway.module.js';
import { buildOpenApiDocument } from './openapi.js';

export async function openApiJson(): Promise<string> {
  const config = loadConfig(baseServiceConfig, {
    ETCD_ENDPOINTS: 'http://127.0.0.1:2379',
    NATS_URL: 'nats://127.0.0.1:4222',
    INSTANCE_ID: 'openapi',
    LOG_LEVEL: 'silent',
  });
  @Module({
    imports: [PlatformModule.forRoot(config, { service: 'gateway', instanceId: 'openapi', version: '0', startedAt: '' }), GatewayModule],
  })
  class PreviewModule {}
  const app = await NestFactory.create(PreviewModule, new FastifyAdapter(), { preview: true, logger: false, abortOnError: false });
  try {
    return `${JSON.stringify(buildOpenApiDocument(app), null, 2)}\n`;
  } finally {
    await app.close();
  }
}
