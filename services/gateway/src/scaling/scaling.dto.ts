/** Scaling route replies, as zod schemas (they document the API). */
import { z } from 'zod';
import { instance } from '../admin/admin.dto.js';
import { REPLICAS_MAX, REPLICAS_MIN, SCALER_KINDS } from './scaling.rules.js';

export const serviceRow = z.object({
  service: z.string(),
  instances: z.array(instance).describe('Live instances (svc: keys held by a lease).'),
  desired: z.number().int().nullable().describe('Replicas asked for; null when the scaler does not know (SCALER=none, no Deployment).'),
  running: z.number().int().nullable().describe('Instances the platform runs (running pods, or launcher processes); null when unknown.'),
  autoscaled: z.boolean().describe('A HorizontalPodAutoscaler owns the count: scale requests are refused with 409.'),
  hpa: z.object({ min: z.number().int(), max: z.number().int() }).optional().describe("The autoscaler's range, when configured."),
  scalable: z.boolean().describe('A scale request can be made (a scaler is configured and the service is not autoscaled).'),
});

export const servicesReply = z.object({
  scaler: z.enum(SCALER_KINDS).describe('The adapter in use (SCALER).'),
  limits: z.object({ min: z.literal(REPLICAS_MIN), max: z.literal(REPLICAS_MAX) }),
  services: z.array(serviceRow),
  scalerError: z.string().optional().describe('Why desired counts are missing: the scaler did not answer (instances are still listed).'),
});
export type ServicesReply = z.output<typeof servicesReply>;

export const scaleReply = z.object({
  service: z.string(),
  desired: z.number().int().describe('The count asked for; instances start or drain in the background (watch GET /api/admin/services).'),
});
