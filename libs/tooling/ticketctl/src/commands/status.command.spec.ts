/** Issue 16 point 4: the readable status report, including members down and a lost quorum. */
import type { StatusReport } from '../query/status.js';
import { renderStatus } from './status.command.js';

const member = (i: number, extra: object) => ({
  id: String(100 + i),
  name: `etcd-${i}`,
  clientUrls: [`http://127.0.0.1:${2379 + i}`],
  reachable: true,
  isLeader: false,
  raftTerm: 3,
  raftIndex: 42,
  dbSizeBytes: 20480,
  version: '3.5.16',
  ...extra,
});

describe('renderStatus', () => {
  it('shows members DOWN, quorum NO, unreadable svc: keys and an unreachable NATS', () => {
    const r: StatusReport = {
      etcd: {
        members: [
          member(0, { isLeader: true }),
          member(1, {}),
          member(2, { reachable: false, raftTerm: undefined, raftIndex: undefined, version: undefined, error: 'deadline exceeded' }),
        ],
        leaderId: '100',
        quorum: false,
        alarms: [],
        alarmsError: 'deadline exceeded',
      },
      services: { instances: [], perService: {}, error: 'svc: keys unreadable (they need a quorum): deadline' },
      nats: { url: 'nats://127.0.0.1:1', ok: false, error: 'CONNECTION_REFUSED' },
    };
    const s = renderStatus(r);
    expect(s).toContain('etcd: 3 member(s), 2 reachable, quorum NO\n');
    expect(s).toMatch(/etcd-0\s+64\s+leader\s+http:\/\/127.0.0.1:2379\s+3\s+42\s+20 KiB\s+3.5.16/);
    expect(s).toMatch(/etcd-2\s+66\s+DOWN\s+\S+\s+-\s+-\s+-\s+\(deadline exceeded\)/);
    expect(s).toContain('alarms: unreadable (deadline exceeded)\n');
    expect(s).toContain('service instances (svc: keys): svc: keys unreadable');
    expect(s).toContain('NATS nats://127.0.0.1:1: UNREACHABLE (CONNECTION_REFUSED)\n');
  });
});
