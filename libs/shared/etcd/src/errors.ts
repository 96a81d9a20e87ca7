/**
 * What an etcd failure means to the caller. The distinction that matters for writes is whether
 * the request may have been applied: a refused connection never reached a member (safe to send
 * again anywhere), while a deadline or a dropped connection may have committed (ambiguous: the
 * caller must find out by reading, e.g. the `sale:` key, never by blindly writing again).
 */
import { isBrokenCircuitError } from 'cockatiel';
import {
  EtcdAuthenticationFailedError,
  EtcdInvalidAuthTokenError,
  EtcdUserNotFoundError,
  GRPCDeadlineExceededError,
  GRPCUnauthenticatedError,
  GRPCUnavailableError,
  isRecoverableError,
} from 'etcd3';

/** The store is not answering (no member reachable, or no quorum): map to 503 naming etcd. */
export class EtcdUnavailableError extends Error {
  override readonly name = 'EtcdUnavailableError';
  constructor(
    message: string,
    /** True when a write may nevertheless have been applied. */
    readonly ambiguous: boolean,
    override readonly cause?: unknown,
  ) {
    super(message);
  }
}

const NEVER_SENT = /No connection established|ECONNREFUSED|failed to connect|Name resolution failed|EHOSTUNREACH|ENOTFOUND/i;

/**
 * True when the member itself could not be reached (refused, unresolvable, no connection by the
 * deadline): the one failure that says something about that member. A deadline says nothing of the kind: during a leader election
 * every member misses deadlines at once.
 */
export function isMemberUnreachableError(error: unknown): boolean {
  // grpc-js says where a call was when its deadline passed: still waiting for a connection to
  // the member (a channel reconnecting after the member restarted) means it never left.
  if (error instanceof GRPCDeadlineExceededError) return /Waiting for LB pick/.test(error.message);
  return error instanceof GRPCUnavailableError && NEVER_SENT.test(error.message);
}

/** etcd refused a token issued before the last change of users, roles or permissions. */
export function isOldAuthRevisionError(error: unknown): boolean {
  return error instanceof Error && /revision of auth store is old/.test(error.message);
}

/** True when the request certainly did not reach a member, so sending it again cannot apply it twice. */
export function isNeverSentError(error: unknown): boolean {
  if (isBrokenCircuitError(error as Error)) return true;
  return isMemberUnreachableError(error);
}

/**
 * True when etcd refused to authenticate us: wrong password, user not created yet, auth not yet
 * enabled (etcd then refuses the token request), a token it no longer knows. Until the setup
 * Job has run this is expected: the service stays unready and retries (etcd3 asks for a new
 * token on the next call). Never applied, so never ambiguous.
 */
export function isAuthError(error: unknown): boolean {
  if (
    error instanceof EtcdAuthenticationFailedError ||
    error instanceof EtcdInvalidAuthTokenError ||
    error instanceof EtcdUserNotFoundError ||
    error instanceof GRPCUnauthenticatedError
  )
    return true;
  return error instanceof Error && /etcdserver: (authentication is not enabled|user name is empty|invalid auth token)/.test(error.message);
}

/** True for failures of availability (as opposed to a bad request or a failed compare). */
export function isAvailabilityError(error: unknown): boolean {
  if (error instanceof EtcdUnavailableError) return true;
  if (isAuthError(error)) return true;
  if (isBrokenCircuitError(error as Error)) return true;
  if (error instanceof GRPCDeadlineExceededError || error instanceof GRPCUnavailableError) return true;
  if (
    error instanceof Error &&
    /etcdserver: (no leader|leader changed|request timed out|too many requests)|raft proposal dropped/.test(error.message)
  )
    return true;
  return error instanceof Error && isRecoverableError(error);
}

/** Wraps availability failures in EtcdUnavailableError; leaves every other error as it is. */
export function toStoreError(error: unknown, operation: string): unknown {
  if (error instanceof EtcdUnavailableError || !isAvailabilityError(error)) return error;
  if (isAuthError(error))
    return new EtcdUnavailableError(`etcd auth failed during ${operation}: ${(error as Error).message}`, false, error);
  const ambiguous = !isNeverSentError(error);
  const reason = error instanceof GRPCDeadlineExceededError ? 'no answer before the deadline (quorum lost?)' : (error as Error).message;
  return new EtcdUnavailableError(`etcd unavailable during ${operation}: ${reason}`, ambiguous, error);
}
