/** One NATS connection per process for JetStream; reconnects forever, so NATS restarts heal. */
import { connect, type NatsConnection } from '@nats-io/transport-node';

export interface NatsOptions {
  servers: string[];
  name: string;
  /** How long the first connect may take before start-up fails. */
  connectTimeoutMs?: number;
}

/**
 * How every connection of a service (JetStream, the RPC client, the RPC server) comes back after a
 * NATS restart: at once and forever. nats.js's defaults (2 s between tries, 10 tries) cost every
 * restart 2 s of 503s, and a 20 s outage would leave the connection closed for good.
 * `noAsyncTraces`: nats.js otherwise builds an Error (a stack capture) ahead of every request and
 * JetStream publish, in case it times out; it was the inventory's largest JavaScript cost in a
 * profile of HTTP sales (issue 27). Errors keep their type and message, only not the caller's stack.
 */
export const RECONNECT_OPTIONS = {
  reconnect: true,
  maxReconnectAttempts: -1,
  reconnectTimeWait: 250,
  reconnectJitter: 100,
  noAsyncTraces: true,
} as const;

export async function connectNats(opts: NatsOptions): Promise<NatsConnection> {
  return connect({
    servers: opts.servers,
    name: opts.name,
    timeout: opts.connectTimeoutMs ?? 5000,
    ...RECONNECT_OPTIONS,
    waitOnFirstConnect: false,
  });
}

/** A round trip to the server within `timeoutMs`: the readiness probe for NATS. */
export async function checkNats(nc: NatsConnection, timeoutMs = 1000): Promise<{ ok: boolean; reason?: string; rttMs?: number }> {
  if (nc.isClosed()) return { ok: false, reason: 'nats connection closed' };
  let timer: NodeJS.Timeout | undefined;
  try {
    const rttMs = await Promise.race([
      nc.rtt(),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
      }),
    ]);
    return { ok: true, rttMs };
  } catch (e) {
    return { ok: false, reason: `nats unreachable: ${(e as Error).message}` };
  } finally {
    clearTimeout(timer);
  }
}

export type { NatsConnection };
