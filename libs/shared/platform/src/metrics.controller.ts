import { Controller, Get, Header, Inject } from '@nestjs/common';
import { Metrics } from '@ticketcd/observability';
import { DependencyProbe } from './readiness.state.js';

@Controller()
export class MetricsController {
  constructor(
    @Inject(Metrics) private readonly metrics: Metrics,
    private readonly probe: DependencyProbe,
  ) {}

  @Get('metrics')
  @Header('Content-Type', 'text/plain; version=0.0.4; charset=utf-8')
  async scrape(): Promise<string> {
    // ticketcd_dependency_up as of this scrape, whether or not anything polls /readyz.
    await this.probe.check();
    await this.metrics.refresh();
    return this.metrics.registry.metrics();
  }
}
