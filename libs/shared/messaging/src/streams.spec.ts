/**
 * A JetStream cluster that is still forming refuses placement for a moment ("no suitable peers");
 * a service starting then must retry, not fail its start. Other errors fail at once.
 */
import type { JetStreamManager } from '@nats-io/jetstream';
import { ensureStream, isTransientPlacementError, streamSettings } from './streams.js';

const def = { name: 'S', subjects: ['s.happened'], description: 'd' };

function fakeJsm(updateErrors: string[]) {
  const calls = { update: 0 };
  const jsm = {
    streams: {
      info: async () => ({ config: { subjects: ['s.happened'], duplicate_window: 1, num_replicas: 1 } }),
      update: async () => {
        calls.update++;
        const msg = updateErrors.shift();
        if (msg) throw new Error(msg);
        return {};
      },
      add: async () => ({}),
    },
  } as unknown as JetStreamManager;
  return { jsm, calls };
}

describe('ensureStream retries a forming cluster', () => {
  it('retries "no suitable peers for placement" until the update goes through', async () => {
    const { jsm, calls } = fakeJsm(['no suitable peers for placement', 'no suitable peers for placement']);
    expect(await ensureStream(jsm, def, streamSettings(3), { timeoutMs: 5_000, intervalMs: 1 })).toBe('updated');
    expect(calls.update).toBe(3);
  });

  it('gives up after its deadline with the last error', async () => {
    const { jsm } = fakeJsm(Array(1000).fill('no suitable peers for placement'));
    await expect(ensureStream(jsm, def, streamSettings(3), { timeoutMs: 20, intervalMs: 5 })).rejects.toThrow(/no suitable peers/);
  });

  it('fails at once on an error that is not about placement', async () => {
    const { jsm, calls } = fakeJsm(['stream name already in use with a different configuration']);
    await expect(ensureStream(jsm, def, streamSettings(3), { timeoutMs: 5_000, intervalMs: 1 })).rejects.toThrow(/different configuration/);
    expect(calls.update).toBe(1);
    expect(isTransientPlacementError(new Error('insufficient resources'))).toBe(true);
  });
});
