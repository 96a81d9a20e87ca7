/**
 * Boots one service: parse config (a bad variable exits 78 naming it), build the Nest app with
 * the platform module, listen on HTTP (health, metrics, and the gateway's API) and on NATS
 * (request-reply in the service's queue group), and shut down cleanly on SIGTERM/SIGINT: drain
 * first (see Lifecycle), then close, within SHUTDOWN_GRACE_MS.
 */
import 'reflect-metadata';
import { Module, type DynamicModule, type INestApplication, type Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { baseServiceConfig, ConfigError, loadConfig, type BaseServiceConfig } from '@ticketcd/config';
import type { ServiceName } from '@ticketcd/keys';
import { RECONNECT_OPTIONS } from '@ticketcd/messaging';
import { newTraceId, runWithTrace } from '@ticketcd/observability';
import { Logger } from 'nestjs-pino';
import type { NextFunction, Request, Response } from 'express';
import type { z } from 'zod';
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
}

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

  const app = await NestFactory.create(RootModule, { bufferLogs: true, abortOnError: false, bodyParser: opts.bodyParser ?? true });
  app.useLogger(app.get(Logger));
  const lifecycle = app.get(Lifecycle);
  const readiness = app.get(ReadinessState);
  // Every HTTP request runs in a trace: the caller's X-Request-Id if sane, else a new one.
  app.use((req: Request, res: Response, next: NextFunction) => {
    const given = req.header('x-request-id');
    const traceId = given && REQUEST_ID.test(given) ? given : newTraceId();
    res.setHeader('X-Request-Id', traceId);
    // Counted until answered, for the drain; while draining, the client's connection is not kept.
    lifecycle.httpInFlight.enter();
    res.once('close', () => lifecycle.httpInFlight.leave());
    if (readiness.draining) res.setHeader('Connection', 'close');
    runWithTrace(traceId, next);
  });
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
  // Nest passes extra arguments through to server.listen(port, host, backlog).
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
