/** Maps anything a handler threw to the RPC error vocabulary. */
import { AppError, zodFields, type RpcError } from '@ticketcd/contracts';
import { EtcdUnavailableError, isAvailabilityError, toStoreError } from '@ticketcd/etcd';
import { KeyParseError, KeySegmentError } from '@ticketcd/keys';
import { ZodError } from 'zod';

export function toRpcError(e: unknown): { error: RpcError; unexpected: boolean } {
  if (e instanceof AppError) return { error: e.error, unexpected: false };
  if (e instanceof ZodError) return { error: { code: 'BAD_REQUEST', message: 'invalid request', fields: zodFields(e) }, unexpected: false };
  if (e instanceof KeySegmentError || e instanceof KeyParseError)
    return { error: { code: 'BAD_REQUEST', message: e.message }, unexpected: false };
  if (isAvailabilityError(e)) {
    const store = toStoreError(e, 'request') as EtcdUnavailableError;
    return { error: { code: 'UNAVAILABLE', dependency: 'etcd', message: store.message }, unexpected: false };
  }
  return { error: { code: 'INTERNAL', message: 'internal error' }, unexpected: true };
}
