/**
 * Issue 29 point 5, NATS that drains: a rolling restart of a three-server JetStream cluster through
 * the chart's preStop hook loses no acknowledged publish and no client request.
 *
 * Each server in turn (2, 1, 0: a StatefulSet's order) gets the preStop command the chart renders
 * (`nats-server --signal ldm=<pid file>`, then wait for the exit), is started again with its data,
 * and is waited for until /healthz says it is back in the cluster with JetStream current (the
 * chart's startup probe). Meanwhile, in the deployed shape (two instances of each side):
 *  - two publishers publish event envelopes through the messaging lib's JetStreamPublisher (the
 *    envelope id is the Nats-Msg-Id) into an R3 stream, each publish retried with the same envelope
 *    until it is acked, as the outbox relay does;
 *  - two clients make requests through the lib's RpcClient (Nest's NATS client proxy,
 *    resendOnReconnect as the purchase path uses it) to a request/reply service of two instances
 *    (Nest's NATS server with the platform's drain, queue group).
 * A "client request" is one RpcClient.request() call: it must come back ok (possibly after the
 * lib resent it), never a timeout or an unavailable. At the end every acked message is in the
 * stream at the sequence its ack named, each id once, and nothing else is there.
 *
 * The lame duck settings are short here (6 s, 2 s grace; the chart's are 30 s and 10 s) to keep
 * the three restarts under a minute. ROLL_WITHOUT_LAME_DUCK=1 stops each server with SIGTERM
 * instead (what a pod without the preStop gets): the comparison quoted in the report.
 */
import { Controller, Module, type INestMicroservice } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ClientProxyFactory, MessagePattern, Payload, Transport, type ClientProxy } from '@nestjs/microservices';
import { jetstream, jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import type { EventEnvelope, RpcDef, StreamDef } from '@ticketcd/contracts';
import {
  connectNats,
  ensureStream,
  JetStreamPublisher,
  RECONNECT_OPTIONS,
  RpcClient,
  streamSettings,
  type NatsConnection,
} from '@ticketcd/messaging';
import { DrainableNatsServer } from '@ticketcd/platform';
import { isAlive } from '@ticketcd/stack';
import { waitFor } from '@ticketcd/testing';
import { execFileSync, spawn } from 'node:child_process';
import path from 'node:path';
import { ulid } from 'ulid';
import { parse } from 'yaml';
import { z } from 'zod';
import { NatsTestCluster } from '../fixtures/nats-cluster.js';

const WITHOUT_LAME_DUCK = process.env.ROLL_WITHOUT_LAME_DUCK === '1';
const root = path.resolve(import.meta.dirname, '../..');
const STREAM: StreamDef = { name: 'LDM_TEST', subjects: ['ldm.test.happened'], description: 'rolling restart test' };
const SUBJECT = 'ldm.test.happened';
const N = z.object({ n: z.number() });
const Echo: RpcDef<typeof N, typeof N> = { subject: 'ldmtest.echo', service: 'ldmtest', request: N, reply: N };

/** The chart's preStop command for the nats container (helm template, as deployed). */
function chartPreStop(): { command: string[]; pidFile: string } {
  const bin = execFileSync('bash', [path.join(root, 'scripts/k8s-tools.sh')], { encoding: 'utf8' }).trim();
  const render = (template: string) =>
    parse(
      execFileSync(path.join(bin, 'helm'), ['template', 't', path.join(root, 'helm/ticketcd'), '-s', template], {
        encoding: 'utf8',
      }),
    ) as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
  const sts = render('templates/nats/statefulset.yaml');
  const nats = sts.spec.template.spec.containers.find((c: { name: string }) => c.name === 'nats');
  const conf: string = render('templates/nats/configmap.yaml').data['nats.conf'];
  return { command: nats.lifecycle.preStop.exec.command, pidFile: /^\s*pid_file: (\S+)$/m.exec(conf)![1]! };
}

/** Runs the preStop command against server `pidFile` (nats-server on PATH as in the image); resolves when it returns. */
function runPreStop(preStop: { command: string[]; pidFile: string }, pidFile: string, timeoutMs: number): Promise<number> {
  const [cmd, ...args] = preStop.command.map((a) => a.split(preStop.pidFile).join(pidFile));
  const child = spawn(cmd!, args, {
    stdio: 'ignore',
    env: { ...process.env, PATH: `${process.env.PATH}:/usr/sbin:/usr/local/sbin` },
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`the preStop command did not return within ${timeoutMs} ms`));
    }, timeoutMs);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve(code ?? -1);
    });
  });
}

@Controller()
class EchoHandler {
  static handled = 0;
  @MessagePattern(Echo.subject)
  echo(@Payload() p: { n: number }) {
    EchoHandler.handled++;
    return { ok: true, data: { n: p.n } };
  }
}
@Module({ controllers: [EchoHandler] })
class EchoModule {}

let cluster: NatsTestCluster;
const connections: NatsConnection[] = [];
const proxies: ClientProxy[] = [];
const responders: INestMicroservice[] = [];

beforeAll(async () => {
  cluster = await NatsTestCluster.start({ config: ['lame_duck_duration: 30s', 'lame_duck_grace_period: 2s'] });
}, 80_000);

afterAll(async () => {
  await Promise.all(responders.map((r) => r.close().catch(() => undefined)));
  await Promise.all(proxies.map((p) => p.close()));
  await Promise.all(connections.map((nc) => nc.close().catch(() => undefined)));
  await cluster?.close();
});

describe('NATS rolling restart through the preStop hook (issue 29 point 5)', () => {
  it('loses no acked publish (each id stored once, at its acked sequence) and no client request', async () => {
    const preStop = chartPreStop();
    const servers = cluster.urls;
    const nc = await connectNats({ servers, name: 'ldm-admin' });
    connections.push(nc);
    const jsm: JetStreamManager = await waitFor(() => jetstreamManager(nc, { timeout: 2000 }), { timeoutMs: 20_000, what: 'JetStream' });
    await ensureStream(jsm, STREAM, streamSettings(3));

    // Two instances of a request/reply service and two of each client, as deployed.
    const strategies: DrainableNatsServer[] = [];
    for (const name of ['a', 'b']) {
      const strategy = new DrainableNatsServer({ servers, ...RECONNECT_OPTIONS, queue: 'ldmtest', name: `echo-${name}` });
      strategies.push(strategy);
      const app = await NestFactory.createMicroservice(EchoModule, {
        strategy,
        logger: false, // also quiets the client proxies (Nest's logger is global)
      });
      await app.listen();
      responders.push(app);
    }
    const clients = await Promise.all(
      ['a', 'b'].map(async (name) => {
        const proxy = ClientProxyFactory.create({
          transport: Transport.NATS,
          options: { servers, name: `client-${name}`, ...RECONNECT_OPTIONS },
        });
        proxies.push(proxy);
        await proxy.connect();
        return new RpcClient(proxy, 10_000);
      }),
    );
    const publishers = await Promise.all(
      ['a', 'b'].map(async (name) => {
        const pnc = await connectNats({ servers, name: `publisher-${name}` });
        connections.push(pnc);
        return new JetStreamPublisher(pnc, `publisher-${name}`);
      }),
    );
    // Both sides work before the roll.
    expect((await clients[0]!.request(Echo, { n: 0 })).ok).toBe(true);

    let rolling = true;
    const acked = new Map<string, number>(); // id -> sequence its ack named
    const stats = { publishes: 0, publishFailures: 0, maxPublishMs: 0, requests: 0, maxRequestMs: 0 };
    const failedRequests: string[] = [];
    const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

    const publishLoop = async (publisher: JetStreamPublisher, prefix: string) => {
      for (let n = 0; rolling; n++) {
        const envelope: EventEnvelope = {
          id: `${prefix}-${n}`,
          type: SUBJECT,
          occurredAt: new Date().toISOString(),
          source: prefix,
          traceId: ulid(),
          data: { n },
        };
        const started = Date.now();
        // As the outbox relay does: the same envelope (same msg id) again until it is acked.
        for (;;) {
          try {
            const ack = await publisher.publish(envelope, SUBJECT);
            acked.set(envelope.id, ack.seq);
            break;
          } catch {
            stats.publishFailures++;
            await pause(100);
          }
        }
        stats.publishes++;
        stats.maxPublishMs = Math.max(stats.maxPublishMs, Date.now() - started);
        await pause(10);
      }
    };
    let next = 1;
    const requestLoop = async (client: RpcClient) => {
      while (rolling) {
        const n = next++;
        const started = Date.now();
        const reply = await client.request(Echo, { n }, { resendOnReconnect: true });
        stats.requests++;
        stats.maxRequestMs = Math.max(stats.maxRequestMs, Date.now() - started);
        if (!reply.ok || reply.data.n !== n) failedRequests.push(`${n}: ${JSON.stringify(reply)}`);
        await pause(10);
      }
    };
    const loops = [
      publishLoop(publishers[0]!, 'a'),
      publishLoop(publishers[1]!, 'b'),
      ...clients.flatMap((c) => [requestLoop(c), requestLoop(c)]),
    ];

    const timeline: string[] = [];
    const t0 = Date.now();
    for (const i of [2, 1, 0]) {
      const s = cluster.servers[i]!;
      const pid = s.proc!.pid;
      if (WITHOUT_LAME_DUCK) {
        await cluster.stopServer(i, 'SIGTERM');
      } else {
        // The kubelet runs the preStop hook and waits for it: it returns once the server has exited.
        expect(await runPreStop(preStop, s.pidFile, 30_000)).toBe(0);
        expect(isAlive(pid)).toBe(false);
        await cluster.stopServer(i); // already gone: forget the process
      }
      timeline.push(`${s.name} stopped at ${Date.now() - t0} ms`);
      cluster.startServer(i);
      await cluster.waitCurrent(i);
      // Back in the stream's group and current: the next restart must not take a second replica.
      await waitFor(
        async () => {
          const info = await jsm.streams.info(STREAM.name);
          const replicas = info.cluster?.replicas ?? [];
          return info.cluster?.leader && replicas.length === 2 && replicas.every((r) => r.current && !r.offline);
        },
        { timeoutMs: 30_000, what: `stream ${STREAM.name} with three current replicas after ${s.name}'s restart` },
      );
      timeline.push(`${s.name} current at ${Date.now() - t0} ms`);
    }
    rolling = false;
    await Promise.all(loops);

    // Every stored message, by sequence.
    const info = await jsm.streams.info(STREAM.name);
    const stored = new Map<number, string>();
    const consumer = await jetstream(nc).consumers.get(STREAM.name);
    while (stored.size < info.state.messages) {
      const batch = await consumer.fetch({ max_messages: 1000, expires: 5000 });
      for await (const m of batch) stored.set(m.seq, m.headers?.get('Nats-Msg-Id') ?? '');
    }
    const ids = [...stored.values()];
    const lost = [...acked].filter(([id, seq]) => stored.get(seq) !== id).map(([id, seq]) => `${id}@${seq}`);
    const duplicates = ids.filter((id, k) => ids.indexOf(id) !== k);
    const unacked = ids.filter((id) => !acked.has(id));

    console.log(
      `rolling restart ${WITHOUT_LAME_DUCK ? 'WITHOUT lame duck (SIGTERM)' : 'through the preStop (lame duck)'}: ` +
        JSON.stringify({
          ...stats,
          stored: stored.size,
          acked: acked.size,
          failedRequests: failedRequests.length,
          handled: EchoHandler.handled,
          respondersMoved: strategies.map((x) => x.movedAway),
          timeline,
        }),
    );
    // Traffic went on through the roll (the SIGTERM roll is over in ~6 s: fewer).
    expect(acked.size).toBeGreaterThan(50);
    expect(stats.requests).toBeGreaterThan(50);
    expect(lost).toEqual([]);
    expect(duplicates).toEqual([]);
    expect(unacked).toEqual([]);
    expect(failedRequests).toEqual([]);
  }, 85_000);
});
