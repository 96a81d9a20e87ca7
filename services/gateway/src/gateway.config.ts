import { baseServiceConfig, env } from '@ticketcd/config';

export const gatewayConfig = baseServiceConfig.extend({
  HTTP_PORT: env.port().default(8080),
});
