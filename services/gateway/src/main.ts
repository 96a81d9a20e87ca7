import { bootstrapService } from '@ticketcd/platform';
import { gatewayConfig } from './gateway.config.js';
import { GatewayModule } from './gateway.module.js';
import { configureGatewayHttp } from './http/http-setup.js';

await bootstrapService({
  service: 'gateway',
  configSchema: gatewayConfig,
  imports: [GatewayModule],
  bodyParser: false,
  configureHttp: configureGatewayHttp,
});
