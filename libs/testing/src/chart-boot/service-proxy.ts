/**
 * Issue 30, kube-proxy for one Service port: a TCP forwarder on the Service address (a host
 * address on the pods' bridge). Each accepted connection goes to one endpoint, chosen round robin
 * over `endpoints()` at accept time (the controller's current ready endpoints, as kube-proxy's
 * rules are). No endpoint, or the endpoint does not take the connection: the client gets a reset
 * (what a Service without ready endpoints gives: a refused connection, never a hang).
 */
import net from 'node:net';

export interface ServiceProxyOptions {
  ip: string;
  port: number;
  endpoints: () => { ip: string; port: number }[];
  log?: (line: string) => void;
  /** How long an endpoint may take to accept before the client is reset (a pod whose namespace is gone never answers). */
  connectTimeoutMs?: number;
}

export class ServiceProxy {
  readonly stats = { connections: 0, refused: 0 };
  private server?: net.Server;
  private readonly sockets = new Set<net.Socket>();
  private next = 0;

  constructor(private readonly opts: ServiceProxyOptions) {}

  get address(): string {
    return `${this.opts.ip}:${this.opts.port}`;
  }

  /** Listens on ip:port (host side); rejects when the address cannot be bound. */
  start(): Promise<void> {
    if (this.server) return Promise.resolve();
    // allowHalfOpen: a client that ends its side still gets the endpoint's whole answer.
    const server = net.createServer({ allowHalfOpen: true }, (client) => this.accept(client));
    this.server = server;
    return new Promise((resolve, reject) => {
      server.once('error', (e) => {
        this.server = undefined;
        reject(new Error(`ServiceProxy ${this.address}: ${e.message}`));
      });
      server.listen({ host: this.opts.ip, port: this.opts.port, exclusive: true }, () => {
        server.removeAllListeners('error');
        server.on('error', (e) => this.log(`server error: ${e.message}`));
        resolve();
      });
    });
  }

  /** Closes the listener and every connection it piped. */
  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    for (const s of this.sockets) s.destroy();
    this.sockets.clear();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private accept(client: net.Socket): void {
    this.stats.connections++;
    this.track(client);
    client.on('error', () => undefined); // a client's reset is its business; handled via 'close'
    let eps: { ip: string; port: number }[];
    try {
      eps = this.opts.endpoints();
    } catch (e) {
      this.log(`endpoints() threw: ${(e as Error).message}`);
      eps = [];
    }
    if (!eps.length) {
      this.refuse(client, 'no endpoints');
      return;
    }
    const ep = eps[this.next++ % eps.length];
    const upstream = net.connect({ host: ep.ip, port: ep.port, allowHalfOpen: true });
    this.track(upstream);
    let connected = false;
    upstream.setTimeout(this.opts.connectTimeoutMs ?? 3_000, () => {
      if (!connected) upstream.destroy(new Error('connect timed out'));
    });
    upstream.once('connect', () => {
      connected = true;
      upstream.setTimeout(0);
    });
    upstream.on('error', (e) => {
      if (!connected) this.refuse(client, `${ep.ip}:${ep.port}: ${e.message}`);
      else client.destroy();
    });
    // Data the client sends before the endpoint answers is buffered by the connecting socket;
    // pipe() ends the other side when one side ends (half-close passed on).
    client.pipe(upstream);
    upstream.pipe(client);
    // A side gone with an error (a reset) takes the other down; a clean close only ends the other
    // (destroy would drop what it still has to flush).
    client.on('close', (hadError) => {
      if (hadError || !connected) upstream.destroy();
      else upstream.end();
    });
    upstream.on('close', (hadError) => {
      if (!connected) return;
      if (hadError) client.destroy();
      else client.end();
    });
  }

  private refuse(client: net.Socket, why: string): void {
    this.stats.refused++;
    this.log(`refused a connection to ${this.address}: ${why}`);
    if (!client.destroyed) client.resetAndDestroy();
  }

  private track(s: net.Socket): void {
    this.sockets.add(s);
    s.once('close', () => this.sockets.delete(s));
  }

  private log(line: string): void {
    this.opts.log?.(`service-proxy ${this.address}: ${line}`);
  }
}
