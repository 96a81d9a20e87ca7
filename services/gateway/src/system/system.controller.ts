import { Controller, Get, Header, ServiceUnavailableException } from '@nestjs/common';
import { isAvailabilityError } from '@ticketcd/etcd';
import { SystemService } from './system.service.js';
import { renderStatusPage } from './status.page.js';

@Controller()
export class SystemController {
  constructor(private readonly system: SystemService) {}

  @Get('api/system/instances')
  async instances() {
    return { services: await this.guard(() => this.system.instancesByService()) };
  }

  /** Until the web UI lands, the root page shows what is running. */
  @Get()
  @Header('Content-Type', 'text/html; charset=utf-8')
  async index() {
    return renderStatusPage(await this.guard(() => this.system.instancesByService()));
  }

  private async guard<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (e) {
      if (isAvailabilityError(e)) throw new ServiceUnavailableException({ message: 'etcd unavailable: the store did not answer in time', dependency: 'etcd' });
      throw e;
    }
  }
}
