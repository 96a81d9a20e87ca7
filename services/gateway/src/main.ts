import { bootstrapService } from '@ticketcd/platform';
import { gatewayConfig } from './gateway.config.js';
import { GatewayModule } from './gateway.module.js';

await bootstrapService({ service: 'gateway', configSchema: gatewayConfig, imports: [GatewayModule] });
