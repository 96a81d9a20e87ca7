import { Controller, Get, ServiceUnavailableException } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { isAvailabilityError } from '@ticketcd/etcd';
import { z } from 'zod';
import { instance } from '../admin/admin.dto.js';
import { Auth } from '../http/access.decorators.js';
import { Documented } from '../http/documented.js';
import { SystemService } from './system.service.js';

const instancesReply = z.object({
  services: z.array(z.object({ service: z.string(), instances: z.array(instance).describe('Empty: no instance is running.') })),
});

/** Hosts, pids and ports are for admins only (issue 13.10); the web UI's admin pages show them. */
@ApiTags('admin')
@Controller()
export class SystemController {
  constructor(private readonly system: SystemService) {}

  @Get('api/system/instances')
  @Auth('admin')
  @Documented({
    summary: 'Live instances of every service (admin): host, pid, HTTP port, start time, version',
    ok: { status: 200, schema: instancesReply },
    errors: [[503, 'etcd did not answer in time (`dependency: "etcd"`).']],
    forwards: false,
  })
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
