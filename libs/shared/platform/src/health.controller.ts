/**
 * /healthz: the process is alive. It touches no dependency, so a store or NATS outage never gets
 * pods restarted in a loop.
 * /readyz: this instance can serve (issue 13.9): 200 when started, not draining and NATS answers;
 * else 503 with `message` saying why. etcd's state is in the body (and in /metrics) but an outage
 * never makes the instance unready: with quorum lost the API answers its own JSON 503 naming etcd.
 * etcd refusing this instance's user does (issue 15: the auth setup Job has not run yet, or a
 * wrong password): no other instance is better off, but this one must not take traffic. So does
 * an event subject of this service that no stream takes (issue 25.3, see PublishedSubjects).
 */
import { Controller, Get, Inject, Res } from '@nestjs/common';
import { DependencyProbe, ReadinessState } from './readiness.state.js';
import { SERVICE_IDENTITY, type ServiceIdentity } from './tokens.js';

export { READINESS_TIMEOUT_MS } from './readiness.state.js';

@Controller()
export class HealthController {
  constructor(
    @Inject(SERVICE_IDENTITY) private readonly identity: ServiceIdentity,
    private readonly readiness: ReadinessState,
    private readonly probe: DependencyProbe,
  ) {}

  @Get('healthz')
  healthz() {
    return { status: 'ok', service: this.identity.service, instance: this.identity.instanceId, version: this.identity.version };
  }

  @Get('readyz')
  async readyz(@Res({ passthrough: true }) res: { status(code: number): unknown }) {
    const { etcd, nats } = await this.probe.check();
    const process = this.readiness.process;
    const reasons = [
      ...(process === 'started' ? [] : [process]),
      ...(nats.status === 'up' ? [] : [nats.message ?? 'nats unavailable']),
      ...(etcd.authFailed ? [etcd.message ?? 'etcd auth failed'] : []),
      ...(this.readiness.misconfigured ? [this.readiness.misconfigured] : []),
    ];
    res.status(reasons.length === 0 ? 200 : 503);
    return {
      status: reasons.length === 0 ? 'ok' : 'error',
      ...(reasons.length === 0 ? {} : { message: `not ready: ${reasons.join('; ')}` }),
      service: this.identity.service,
      instance: this.identity.instanceId,
      process,
      nats,
      etcd,
    };
  }
}
