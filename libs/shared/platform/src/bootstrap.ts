/**
 * Boots one service: parse config (a bad variable exits 78 naming it), build the Nest app with
 * the platform module, listen on HTTP (health, metrics, and the gateway's API) and on NATS
 * (request-reply in the service's queue group), and shut down cleanly on SIGTERM/SIGINT: drain
 * first (see Lifecycle), then close, within SHUTDOWN_GRACE_MS.
 */
import 'reflect-metadata';
import { Module, type DynamicModule, type INestApplication, type Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { baseServiceConfig, ConfigError, loadConfig, type BaseServiceConfig } from '@ticketcd/config';
import type { ServiceName } from '@ticketcd/keys';
import { RECONNECT_OPTIONS } from '@ticketcd/messaging';
import { createLogger, newTraceId, runWithTrace } from '@ticketcd/observability';
import { Logger } from 'nestjs-pino';
import type { NextFunction, Request, Response } from 'express';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { z } from 'zod';
import { AccessLog } from './access-log.js';
import { Lifecycle } from './lifecycle.service.js';
import { PlatformModule } from './platform.module.js';
import { ReadinessState } from './readiness.state.js';
import { RpcRequestDeserializer } from './rpc-deserializer.js';
import { DrainableNatsServer } from './rpc-server.js';
import type { ServiceIdentity } from './tokens.js';

export const EXIT_CONFIG = 78;

export interface BootstrapOptions<S extends z.ZodObject> {
  service: ServiceName;
  /** The service's own config schema (extending baseServiceConfig); defaults to the base. */
  configSchema?: S;
  /** The service's feature module(s). */
  imports: (Type | DynamicModule)[];
  version?: string;
  /** HTTP setup of the service's own (the gateway: headers, body parsing, API docs); runs before listen. */
  configureHttp?: (app: INestApplication, config: z.output<S>) => void | Promise<void>;
  /** Nest's own body parser with its 100 kB limit; a service that parses bodies itself turns it off. */
  bodyParser?: boolean;
  /**
   * The HTTP adapter: Express (the default: services that serve only health and metrics) or
   * Fastify (the gateway: cheaper per request, issue 27), with Fastify's server options from the
   * service's config (e.g. trustProxy, which Fastify takes only when the server is created).
   */
  http?: HttpAdapterChoice<z.output<S>>;
}

export type FastifyServerOptions = NonNullable<ConstructorParameters<typeof FastifyAdapter>[0]>;
export type HttpAdapterChoice<C = BaseServiceConfig> = 'express' | { adapter: 'fastify'; options?: (config: C) => FastifyServerOptions };

export function parseConfigOrExit<S extends z.ZodObject>(service: string, schema: S): z.output<S> {
  try {
    return loadConfig(schema);
  } catch (e) {
    if (e instanceof ConfigError) {
      process.stderr.write(`${service}: ${e.message}\n`);
      process.exit(EXIT_CONFIG);
    }
    throw e;
  }
}

const REQUEST_ID = /^[A-Za-z0-9_.-]{1,128}$/;

/** Builds a service's Nest app (HTTP + NATS request-reply), not yet listening. */
export async function createServiceApp(opts: {
  service: ServiceName | string;
  config: BaseServiceConfig;
  imports: (Type | DynamicModule)[];
  version?: string;
  bodyParser?: boolean;
  http?: HttpAdapterChoice<never>;
}): Promise<INestApplication> {
  const { config } = opts;
  const identity: ServiceIdentity = {
    service: opts.service,
    instanceId: config.INSTANCE_ID,
    version: opts.version ?? process.env.npm_package_version ?? '0.0.0',
    startedAt: new Date().toISOString(),
  };

  @Module({ imports: [PlatformModule.forRoot(config, identity), ...opts.imports] })
  class RootModule {}

  const nestOptions = { bufferLogs: true, abortOnError: false, bodyParser: opts.bodyParser ?? true };
  // Every HTTP request runs in a trace: the caller's X-Request-Id if sane, else a new one.
  const traceIdOf = (given: string | string[] | undefined) => (typeof given === 'string' && REQUEST_ID.test(given) ? given : newTraceId());
  const http = opts.http ?? 'express';
  const fastify =
    http === 'express'
      ? undefined
      : new FastifyAdapter({
          // Node's own default, which Fastify turns off (0): a request must arrive whole within 5 min.
          requestTimeout: 300_000,
          ...http.options?.(config as never),
          // Fastify's request id is the trace id, so the request log's id is the trace's, as on Express.
          genReqId: (req: Pick<IncomingMessage, 'headers'>) => traceIdOf(req.headers['x-request-id']),
        });
  const app = fastify
    ? await NestFactory.create<NestFastifyApplication>(RootModule, fastify, nestOptions)
    : await NestFactory.create(RootModule, nestOptions);
  app.useLogger(app.get(Logger));
  const lifecycle = app.get(Lifecycle);
  const readiness = app.get(ReadinessState);
  // Counted until answered, for the drain; while draining, the client's connection is not kept.
  const enter = (traceId: string, res: ServerResponse, next: () => void) => {
    res.setHeader('X-Request-Id', traceId);
    lifecycle.httpInFlight.enter();
    res.once('close', () => lifecycle.httpInFlight.leave());
    if (readiness.draining) res.setHeader('Connection', 'close');
    runWithTrace(traceId, next);
  };
  // The request log: a line per answered request when its level is on, no logger built per request.
  // Its own pino instance (same options and stdout): nestjs-pino's root logger carries pino-http's
  // serializers, which would rewrite the line's req.
  const requestLogger = createLogger({ service: identity.service, instance: identity.instanceId, level: config.LOG_LEVEL });
  const accessLog = new AccessLog(requestLogger);
  if (fastify) {
    // The adapter's own request hook, not `app.use` middleware (@fastify/middie): it runs before
    // any Nest middleware, as `app.use` does on Express, with no connect layer.
    // Set on the Node response, so every reply carries it, also those written raw (SSE, files).
    fastify.setOnRequestHook((req, reply, done) => enter(req.id, reply.raw as ServerResponse, done));
    fastify.getInstance().addHook('onResponse', (req, reply, done) => {
      accessLog.record({
        id: String(req.id),
        method: req.method,
        url: req.url,
        remoteAddress: req.socket.remoteAddress,
        clientAddress: req.ip,
        statusCode: reply.statusCode,
        responseTimeMs: reply.elapsedTime,
      });
      done();
    });
  } else {
    app.use((req: Request, res: Response, next: NextFunction) => {
      const traceId = traceIdOf(req.headers['x-request-id']);
      const started = performance.now();
      res.once('finish', () =>
        accessLog.record({
          id: traceId,
          method: req.method,
          url: req.originalUrl,
          remoteAddress: req.socket.remoteAddress,
          clientAddress: req.ip,
          statusCode: res.statusCode,
          responseTimeMs: performance.now() - started,
        }),
      );
      enter(traceId, res, next);
    });
  }
  const rpcServer = new DrainableNatsServer({
    servers: config.NATS_URL,
    ...RECONNECT_OPTIONS,
    queue: opts.service,
    name: `${opts.service}:${config.INSTANCE_ID}:server`,
    // Every request gets a reply, also one whose body is not JSON (issue 18.3).
    deserializer: new RpcRequestDeserializer(),
  });
  app.connectMicroservice({ strategy: rpcServer }, { inheritAppConfig: true });
  lifecycle.useDrainTargets({ http: app.getHttpServer(), rpc: rpcServer });
  return app;
}

export async function bootstrapService<S extends z.ZodObject = typeof baseServiceConfig>(
  opts: BootstrapOptions<S>,
): Promise<INestApplication> {
  const config = parseConfigOrExit(opts.service, opts.configSchema ?? baseServiceConfig) as BaseServiceConfig;
  const app = await createServiceApp({
    service: opts.service,
    config,
    imports: opts.imports,
    version: opts.version,
    bodyParser: opts.bodyParser,
    http: opts.http as HttpAdapterChoice<never> | undefined,
  });
  const logger = app.get(Logger);
  await opts.configureHttp?.(app, config as z.output<S>);
  // Our own signal handling rather than Nest's shutdown hooks: the drain comes before Nest's close.
  let stopping = false;
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => {
      if (stopping) return;
      stopping = true;
      // Never outlive the grace period, whatever hangs.
      setTimeout(() => {
        logger.error(`shutdown exceeded ${config.SHUTDOWN_GRACE_MS} ms; exiting`);
        process.exit(1);
      }, config.SHUTDOWN_GRACE_MS).unref();
      void (async () => {
        try {
          await app.get(Lifecycle).drain();
          await app.close();
          process.exit(0);
        } catch (err) {
          logger.error({ err }, 'shutdown failed');
          process.exit(1);
        }
      })();
    });
  }
  await app.startAllMicroservices();
  const server = app.getHttpServer() as import('node:http').Server;
  server.keepAliveTimeout = config.HTTP_KEEP_ALIVE_TIMEOUT_MS;
  // Node wants the headers timeout above the keep-alive one, or a slow request's headers race it.
  server.headersTimeout = config.HTTP_KEEP_ALIVE_TIMEOUT_MS + 1000;
  // Nest passes extra arguments through to listen(port, host, backlog) on either adapter.
  await (app.listen as unknown as (port: number, host: string, backlog: number) => Promise<unknown>).call(
    app,
    config.HTTP_PORT,
    config.HTTP_HOST,
    config.HTTP_BACKLOG,
  );
  app.get(ReadinessState).started = true;
  logger.log(`${opts.service} ${config.INSTANCE_ID} listening on http://${config.HTTP_HOST}:${config.HTTP_PORT}`);
  return app;
}
