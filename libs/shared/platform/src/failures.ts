/**
 * The one classification of failures for consumers and the outbox relay (issue 13, invariant 5):
 * transient (a dependency down: retry for as long as it takes), permanent (can never succeed:
 * park or quarantine), unknown (a few attempts first). See messaging's failures.ts.
 */
import { AppError, type ErrorCode } from '@ticketcd/contracts';
import { ContendedError, isAvailabilityError } from '@ticketcd/etcd';
import { KeyParseError, KeySegmentError } from '@ticketcd/keys';
import { causeChain, classifyMessagingFailure, type FailureKind } from '@ticketcd/messaging';

/** Domain errors a retry can fix: the dependency named may be back. */
const TRANSIENT_CODES: ReadonlySet<ErrorCode> = new Set(['UNAVAILABLE', 'TIMEOUT', 'RATE_LIMITED']);

export function classifyFailure(error: unknown): FailureKind {
  for (const e of causeChain(error)) {
    if (e instanceof AppError) {
      if (TRANSIENT_CODES.has(e.error.code)) return 'transient';
      // A 4xx-like answer (bad request, not found, conflict...) is the same answer next time.
      return e.error.code === 'INTERNAL' ? 'unknown' : 'permanent';
    }
    if (e instanceof KeySegmentError || e instanceof KeyParseError) return 'permanent';
    // A key that kept changing settles: the next attempt reads it afresh.
    if (isAvailabilityError(e) || e instanceof ContendedError) return 'transient';
  }
  return classifyMessagingFailure(error);
}
