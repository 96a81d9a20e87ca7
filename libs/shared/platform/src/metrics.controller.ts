import { Controller, Get, Header, Inject } from '@nestjs/common';
import { Metrics } from '@ticketcd/observability';

@Controller()
export class MetricsController {
  constructor(@Inject(Metrics) private readonly metrics: Metrics) {}

  @Get('metrics')
  @Header('Content-Type', 'text/plain; version=0.0.4; charset=utf-8')
  async scrape(): Promise<string> {
    await this.metrics.refresh();
    return this.metrics.registry.metrics();
  }
}
