/**
 * Start-up work that needs etcd (seeding the static lists, the first admin). Tried once while
 * the app starts; if etcd is unavailable, or refuses this service's user because the auth setup
 * Job has not run yet (issue 15), it is retried in the background with growing pauses instead
 * of failing the start: a crashed start would only be restarted into the same wait.
 */
import { isAvailabilityError } from '@ticketcd/etcd';

export interface StartUpLog {
  warn(obj: object, msg: string): void;
  info(obj: object, msg: string): void;
}

export async function nowOrInBackground(what: string, work: () => Promise<unknown>, log: StartUpLog, maxPauseMs = 10_000): Promise<void> {
  try {
    await work();
    return;
  } catch (e) {
    if (!isAvailabilityError(e)) throw e;
    log.warn({ err: (e as Error).message.split('\n')[0] }, `${what}: etcd unavailable at start, retrying in the background`);
  }
  let pause = 250;
  const attempt = () => {
    setTimeout(() => {
      work().then(
        () => log.info({}, `${what}: done after retrying`),
        (e: unknown) => {
          if (!isAvailabilityError(e)) {
            log.warn({ err: (e as Error).message }, `${what}: failed, not retrying`);
            return;
          }
          pause = Math.min(maxPauseMs, pause * 2);
          attempt();
        },
      );
    }, pause).unref();
  };
  attempt();
}
