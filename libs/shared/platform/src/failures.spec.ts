/** Issue 13.2 (invariant 5): which failures a consumer waits out, which it parks. */
import { NoRespondersError, TimeoutError } from '@nats-io/nats-core';
import { AppError } from '@ticketcd/contracts';
import { ContendedError, EtcdUnavailableError } from '@ticketcd/etcd';
import { KeySegmentError } from '@ticketcd/keys';
import { PermanentError } from '@ticketcd/messaging';
import { GRPCDeadlineExceededError, GRPCUnavailableError } from 'etcd3';
import { z } from 'zod';
import { classifyFailure } from './failures.js';

const zodError = () => {
  try {
    z.object({ n: z.number() }).parse({ n: 'x' });
  } catch (e) {
    return e;
  }
  throw new Error('unreachable');
};

describe('classifyFailure', () => {
  it.each([
    [
      'etcd unavailable',
      new EtcdUnavailableError('etcd unavailable during recording a sale: no answer before the deadline (quorum lost?)', true),
    ],
    ['an etcd deadline', new GRPCDeadlineExceededError('context deadline exceeded')],
    ['etcd unreachable', new GRPCUnavailableError('No connection established')],
    ['no leader', new Error('etcdserver: no leader')],
    ['a request timed out in raft', new Error('etcdserver: request timed out')],
    ['a NATS timeout', new TimeoutError()],
    ['NATS no responders', new NoRespondersError('inventory.purchase')],
    ['a dependency named unavailable', AppError.unavailable('inventory', 'no inventory instance answered')],
    ['a dependency timing out', AppError.timeout('inventory', 'inventory did not answer within 3000 ms')],
    ['a key that kept changing (compare-and-retry gave up)', new ContendedError('stats of e1: still contended after 100 attempts')],
    ['an availability error as the cause', new Error('indexing failed', { cause: new EtcdUnavailableError('etcd unavailable', false) })],
  ])('%s is transient: retried for as long as it takes', (_, error) => {
    expect(classifyFailure(error)).toBe('transient');
  });

  it.each([
    ['a payload that does not parse', zodError()],
    ['a bad request', AppError.badRequest('unknown ticket type')],
    ['an unknown event', AppError.notFound('event does not exist')],
    ['a conflict', AppError.conflict('event was deleted')],
    ['a malformed key segment', new KeySegmentError('event id', 'x:y', "must not contain ':'")],
    ['an explicit permanent error', new PermanentError('cannot ever work')],
  ])('%s is permanent: parked at once', (_, error) => {
    expect(classifyFailure(error)).toBe('permanent');
  });

  it.each([
    ['a bug', new TypeError("Cannot read properties of null (reading 'eventId')")],
    ['corrupt stored JSON', new SyntaxError('Unexpected token')],
    ['an internal error', new AppError({ code: 'INTERNAL', message: 'internal error' })],
    ['a non-error', 'boom'],
  ])('%s is unknown: a few attempts, then parked', (_, error) => {
    expect(classifyFailure(error)).toBe('unknown');
  });
});
