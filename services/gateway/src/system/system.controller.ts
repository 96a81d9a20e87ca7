import { Controller, Get, ServiceUnavailableException } from '@nestjs/common';
import { isAvailabilityError } from '@ticketcd/etcd';
import { Auth } from '../http/access.decorators.js';
import { SystemService } from './system.service.js';

/** Hosts, pids and ports are for admins only (issue 13.10); the web UI's admin pages show them. */
@Controller()
export class SystemController {
  constructor(private readonly system: SystemService) {}

  @Get('api/system/instances')
  @Auth('admin')
  async instances() {
    return { services: await this.guard(() => this.system.instancesByService()) };
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
