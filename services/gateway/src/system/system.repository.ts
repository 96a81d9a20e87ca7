import { Inject, Injectable } from '@nestjs/common';
import { scanPrefix, type EtcdConnection } from '@ticketcd/etcd';
import { parseKey, prefixes } from '@ticketcd/keys';
import { ETCD } from '@ticketcd/platform';

export interface InstanceRecord {
  service: string;
  instanceId: string;
  host?: string;
  pid?: number;
  httpPort?: number;
  startedAt?: string;
  version?: string;
}

@Injectable()
export class SystemRepository {
  constructor(@Inject(ETCD) private readonly etcd: EtcdConnection) {}

  /** Live instances: every svc: key still held by a lease. */
  async liveInstances(): Promise<InstanceRecord[]> {
    const out: InstanceRecord[] = [];
    for await (const kv of scanPrefix(this.etcd.kv, prefixes.svc())) {
      const k = parseKey(kv.key);
      if (k.kind !== 'svc') continue;
      let value: Partial<InstanceRecord> & { grants?: unknown } = {};
      try {
        value = JSON.parse(kv.value) as Partial<InstanceRecord>;
      } catch {
        // A malformed value still proves the instance is alive; list it with what the key says.
      }
      // `grants` (its role's fingerprint) is for etcd-auth apply, not part of the instance list.
      const { grants: _grants, ...shown } = value;
      out.push({ ...shown, service: k.service, instanceId: k.instanceId });
    }
    return out;
  }
}
