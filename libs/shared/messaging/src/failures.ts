/**
 * Why a handler or a publish failed, as far as retrying goes (issue 13, invariant 5):
 *  - transient: a dependency is unavailable (etcd without quorum, NATS down, a timeout). Retried
 *    for as long as it takes: giving up would lose work that will succeed once it is back.
 *  - permanent: retrying can never succeed (the message does not parse, a 4xx-like domain error).
 *  - unknown: anything else (a bug, corrupt data): a few attempts, then parked for an operator.
 */
import { ZodError } from 'zod';

export type FailureKind = 'transient' | 'permanent' | 'unknown';
export type FailureClassifier = (error: unknown) => FailureKind;

/** Throw it (or wrap in it) for a failure that retrying cannot fix: the message is parked at once. */
export class PermanentError extends Error {
  override readonly name = 'PermanentError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** NATS client errors that mean "not reachable now" (nats.js, rxjs and Nest's NATS client). */
const NATS_UNAVAILABLE_NAMES = new Set([
  'TimeoutError',
  'NoRespondersError',
  'ClosedConnectionError',
  'DrainingConnectionError',
  'ConnectionError',
  'RequestError',
  'JetStreamNotEnabled',
]);
const NATS_UNAVAILABLE_MESSAGE =
  /no responders|timed? ?out|timeout|disconnect|connection (closed|draining|lost|refused)|jetstream (not enabled|.*unavailable)|503/i;

/** The error and its causes, outermost first (bounded: cause chains can be cyclic). */
export function causeChain(error: unknown): unknown[] {
  const out: unknown[] = [];
  for (let e = error; e !== undefined && e !== null && out.length < 8 && !out.includes(e); e = (e as { cause?: unknown }).cause)
    out.push(e);
  return out;
}

export function isNatsUnavailableError(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  if (NATS_UNAVAILABLE_NAMES.has(error.name) || NATS_UNAVAILABLE_NAMES.has(error.constructor.name)) return true;
  const status = (error as { status?: unknown }).status;
  if (error.name === 'JetStreamApiError' || error.name === 'JetStreamError' || error.name === 'JetStreamStatusError') {
    return status === 503 || status === 408 || (error as { code?: unknown }).code === 503 || NATS_UNAVAILABLE_MESSAGE.test(error.message);
  }
  return false;
}

/** What messaging alone can tell: parse errors are permanent, NATS availability is transient. */
export function classifyMessagingFailure(error: unknown): FailureKind {
  for (const e of causeChain(error)) {
    if (e instanceof PermanentError || e instanceof ZodError) return 'permanent';
    if (isNatsUnavailableError(e)) return 'transient';
  }
  return 'unknown';
}
