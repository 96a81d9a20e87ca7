import { bootstrapService } from '@ticketcd/platform';
import { gatewayConfig } from './gateway.config.js';
import { GatewayModule } from './gateway.module.js';
import { configureGatewayHttp, gatewayFastifyOptions } from './http/http-setup.js';

await bootstrapService({
  service: 'gateway',
  configSchema: gatewayConfig,
  imports: [GatewayModule],
  // Fastify: measured cheaper per request than Express on the on-sale routes (issue 27).
  http: { adapter: 'fastify', options: gatewayFastifyOptions },
  bodyParser: false,
  configureHttp: configureGatewayHttp,
});
