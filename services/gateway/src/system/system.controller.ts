import { Controller, Get, Header, ServiceUnavailableException } from '@nestjs/common';
import { isAvailabilityError } from '@ticketcd/etcd';
import { Auth } from '../http/access.decorators.js';
import { SystemService } from './system.service.js';
import { renderLandingPage, renderStatusPage } from './status.page.js';

/** Hosts, pids and ports are for admins only (issue 13.10): the public root page shows none. */
@Controller()
export class SystemController {
  constructor(private readonly system: SystemService) {}

  @Get('api/system/instances')
  @Auth('admin')
  async instances() {
    return { services: await this.guard(() => this.system.instancesByService()) };
  }

  /** Until the web UI lands: a short landing page pointing at the API docs. */
  @Get()
  @Header('Content-Type', 'text/html; charset=utf-8')
  index() {
    return renderLandingPage();
  }

  @Get('admin/status')
  @Auth('admin')
  @Header('Content-Type', 'text/html; charset=utf-8')
  async status() {
    return renderStatusPage(await this.guard(() => this.system.instancesByService()));
  }

  private async guard<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (e) {
      if (isAvailabilityError(e))
        throw new ServiceUnavailableException({ message: 'etcd unavailable: the store did not answer in time', dependency: 'etcd' });
      throw e;
    }
  }
}
