/** The documentation of the routes every service gets from @ticketcd/platform (see openapi.ts). */
import type { OperationObject, SchemaObject } from '@nestjs/swagger';

// As DependencyCheck in @ticketcd/platform's readiness.state.ts.
const dependency: SchemaObject = {
  type: 'object',
  properties: {
    status: { type: 'string', enum: ['up', 'unavailable'] },
    message: { type: 'string', description: 'Why it is unavailable.' },
    latencyMs: { type: 'number', description: 'etcd: the linearizable read took this long.' },
    revision: { type: 'integer', description: "etcd: the store's revision at that read." },
    rttMs: { type: 'number', description: 'NATS: the round trip took this long.' },
  },
  required: ['status'],
};

const etcdDependency: SchemaObject = {
  ...dependency,
  properties: {
    ...dependency.properties,
    authFailed: { type: 'boolean', description: "etcd refused this instance's user: unlike an outage, this makes it unready." },
    quorum: {
      type: 'object',
      description: "This instance's quorum verdict and the last sweep of the members behind it.",
      properties: {
        lost: { type: 'string', description: 'Why the quorum is known lost (writes refused at once); absent when it is not.' },
        lostSince: { type: 'integer', description: 'Since when (epoch ms) it is known lost.' },
        members: {
          type: 'object',
          description: 'The last sweep: members that answered with a leader, without one, refused, or stayed silent.',
          properties: {
            leader: { type: 'integer' },
            noLeader: { type: 'integer' },
            refused: { type: 'integer' },
            silent: { type: 'integer' },
            ageMs: { type: 'integer' },
          },
          required: ['leader', 'noLeader', 'refused', 'silent', 'ageMs'],
        },
        declared: { type: 'integer', description: 'Times this instance declared the quorum lost since it started.' },
      },
      required: ['declared'],
    },
  },
  description: 'Informational: an etcd outage does not make the instance unready, a refused etcd user does.',
};

const readiness: SchemaObject = {
  type: 'object',
  properties: {
    status: { type: 'string', enum: ['ok', 'error'] },
    message: { type: 'string', description: 'Only when not ready: `not ready: <reasons>`.' },
    service: { type: 'string' },
    instance: { type: 'string' },
    process: { type: 'string', enum: ['starting', 'started', 'draining'] },
    nats: dependency,
    etcd: etcdDependency,
  },
  required: ['status', 'service', 'instance', 'process', 'nats', 'etcd'],
};

export const PLATFORM_ROUTES: Record<string, Record<string, Partial<OperationObject>>> = {
  '/healthz': {
    get: {
      summary: 'Liveness: the process answers (no dependency is checked)',
      responses: {
        '200': {
          description: 'Alive.',
          content: {
            'application/json': {
              schema: {
                type: 'object',
                properties: {
                  status: { type: 'string', enum: ['ok'] },
                  service: { type: 'string' },
                  instance: { type: 'string' },
                  version: { type: 'string' },
                },
                required: ['status', 'service', 'instance', 'version'],
              },
            },
          },
        },
      },
    },
  },
  '/readyz': {
    get: {
      summary: 'Readiness: this instance can serve (started, not draining, NATS answers, etcd accepts its user)',
      responses: {
        '200': { description: 'Ready.', content: { 'application/json': { schema: readiness } } },
        '503': { description: 'Not ready; `message` says why.', content: { 'application/json': { schema: readiness } } },
      },
    },
  },
  '/metrics': {
    get: {
      summary: 'Prometheus metrics of this instance',
      responses: {
        '200': {
          description: 'The Prometheus text exposition format.',
          content: { 'text/plain': { schema: { type: 'string' } } },
        },
      },
    },
  },
};
