import { Body, Controller, Get, Param, Put } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { Auth } from '../http/access.decorators.js';
import { Documented } from '../http/documented.js';
import { parseInput } from '../http/validation.js';
import { scaleReply, servicesReply } from './scaling.dto.js';
import { REPLICAS_MAX, REPLICAS_MIN, scaleBody } from './scaling.rules.js';
import { ScalingService } from './scaling.service.js';

const SCALER_DOWN: [number, string] = [
  503,
  'The scaler did not answer in time, or refused (`dependency`: "Kubernetes API" or "local stack launcher"); or etcd is down.',
];

/** Issue 15.3: each service's instances and desired count, and scaling one (admins only). */
@ApiTags('admin')
@Controller('api/admin/services')
@Auth('admin')
export class ScalingController {
  constructor(private readonly scaling: ScalingService) {}

  @Get()
  @Documented({
    summary: 'Services (admin): live instances, desired count, and whether an autoscaler owns the count',
    description:
      'Instances come from svc: keys; desired/running from the scaler (SCALER: kubernetes, local or none). ' +
      'A scaler that does not answer leaves desired null and says why in `scalerError`.',
    ok: { status: 200, schema: servicesReply },
    errors: [[503, 'etcd did not answer in time (`dependency: "etcd"`).']],
    forwards: false,
  })
  list() {
    return this.scaling.services();
  }

  @Put(':service/scale')
  @Documented({
    summary: `Scale a service (admin): set its desired instances (${REPLICAS_MIN} to ${REPLICAS_MAX})`,
    description:
      'Answers once the scaler accepted the count; instances then start or drain (watch GET /api/admin/services). ' +
      'An HPA-managed service (SCALER_AUTOSCALED) is refused with 409: its autoscaler owns the count.',
    body: { schema: scaleBody, example: { replicas: 2 } },
    ok: { status: 200, schema: scaleReply, example: { service: 'inventory', desired: 2 } },
    errors: [
      [400, `The body is not { "replicas": n } with n a whole number from ${REPLICAS_MIN} to ${REPLICAS_MAX}.`],
      [404, 'No such service (or, in Kubernetes, no Deployment for it).'],
      [409, 'The service is autoscaled (its HorizontalPodAutoscaler owns the count), or no scaler is configured (SCALER=none).'],
      SCALER_DOWN,
    ],
    forwards: false,
  })
  scale(@Param('service') service: string, @Body() body: unknown) {
    this.scaling.service(service);
    return this.scaling.scale(service, parseInput(scaleBody, body).replicas);
  }
}
