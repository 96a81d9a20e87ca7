/**
 * Issue 25.3: a JetStream publish to a subject no stream takes fails just like JetStream being
 * away (503, no responders), so the outbox relay cannot tell the two apart per entry and treats
 * both as transient: such an entry waits in the outbox, it is never quarantined. The
 * configuration error is caught here instead: at start-up, and again until it passes, each event
 * subject this service publishes must be taken by the stream its contract names. Until then
 * /readyz answers 503 naming the subject (a configuration error of this deployment, not a
 * shared dependency down, so unready is right).
 */
import { Inject, Injectable, type OnApplicationShutdown } from '@nestjs/common';
import { jetstreamManager } from '@nats-io/jetstream';
import { eventsPublishedBy, type EventDef } from '@ticketcd/contracts';
import type { NatsConnection } from '@ticketcd/messaging';
import { PinoLogger } from 'nestjs-pino';
import { ReadinessState } from './readiness.state.js';
import { NATS, SERVICE_IDENTITY, type ServiceIdentity } from './tokens.js';

const CHECK_TIMEOUT_MS = 2000;
const FIRST_PAUSE_MS = 250;
const MAX_PAUSE_MS = 5000;

/**
 * What is wrong with the streams of `events` (the first subject no stream takes, or one taken by
 * another stream than its contract's), or null when each is taken by its own stream.
 */
export async function streamProblem(nc: NatsConnection, events: readonly EventDef[], timeoutMs = CHECK_TIMEOUT_MS): Promise<string | null> {
  if (events.length === 0) return null;
  let jsm: Awaited<ReturnType<typeof jetstreamManager>>;
  try {
    jsm = await jetstreamManager(nc, { timeout: timeoutMs });
  } catch (e) {
    return `could not ask JetStream which streams take ${events.map((e) => e.type).join(', ')}: ${(e as Error).message}`;
  }
  for (const def of events) {
    let stream: string;
    try {
      stream = await jsm.streams.find(def.type);
    } catch (e) {
      if (isNoStream(e)) return `no JetStream stream takes ${def.type} (stream ${def.stream} should): its events wait in the outbox`;
      return `could not ask JetStream which stream takes ${def.type}: ${(e as Error).message}`;
    }
    if (stream !== def.stream) return `${def.type} is taken by stream ${stream}, not ${def.stream}: its consumers would never see it`;
  }
  return null;
}

function isNoStream(e: unknown): boolean {
  const err = e as { name?: string; code?: unknown; message?: string };
  return err?.name === 'StreamNotFoundError' || /no stream matches/i.test(err?.message ?? '');
}

@Injectable()
export class PublishedSubjects implements OnApplicationShutdown {
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;

  constructor(
    @Inject(NATS) private readonly nats: NatsConnection,
    @Inject(SERVICE_IDENTITY) private readonly identity: ServiceIdentity,
    private readonly readiness: ReadinessState,
    private readonly log: PinoLogger,
  ) {
    log.setContext('streams');
  }

  /** Checks now (after the streams were ensured); if it fails, again in the background until it passes. */
  async start(): Promise<void> {
    if (await this.check()) return;
    let pause = FIRST_PAUSE_MS;
    const again = () => {
      if (this.stopped) return;
      this.timer = setTimeout(() => {
        void this.check().then((ok) => {
          pause = Math.min(MAX_PAUSE_MS, pause * 2);
          if (!ok) again();
        });
      }, pause);
      this.timer.unref();
    };
    again();
  }

  onApplicationShutdown(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
  }

  /** The events to check: those this service publishes. */
  protected events(): readonly EventDef[] {
    return eventsPublishedBy(this.identity.service);
  }

  private async check(): Promise<boolean> {
    const problem = await streamProblem(this.nats, this.events());
    if (problem !== this.readiness.misconfigured) {
      if (problem) this.log.error({ problem }, 'not ready: an event subject of this service has no stream; checking again');
      else this.log.info({}, 'every event subject of this service is taken by its stream');
    }
    this.readiness.misconfigured = problem;
    return problem === null;
  }
}
