import { Injectable } from '@nestjs/common';
import { SERVICE_NAMES } from '@ticketcd/keys';
import { SystemRepository, type InstanceRecord } from './system.repository.js';

export interface ServiceInstances {
  service: string;
  instances: InstanceRecord[];
}

@Injectable()
export class SystemService {
  constructor(private readonly repo: SystemRepository) {}

  /** Every known service with its live instances (an empty list means none is running). */
  async instancesByService(): Promise<ServiceInstances[]> {
    const all = await this.repo.liveInstances();
    return SERVICE_NAMES.map((service) => ({
      service,
      instances: all.filter((i) => i.service === service).sort((a, b) => a.instanceId.localeCompare(b.instanceId)),
    }));
  }
}
