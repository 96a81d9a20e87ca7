/**
 * Debian's nginx as the ingress stand-in (issue 26.1): its own process, config, pid, logs and a
 * self-signed certificate in a temp dir, on free loopback ports, proxying to one upstream the way
 * ingress-nginx does (X-Forwarded-For appended, X-Forwarded-Proto set from its own scheme).
 * scripts/ensure-deps.sh --browser installs it (and keeps the system one from starting).
 */
import { findFreePortBlock, GiveUp, isAlive, startProcess, stopProcess, tail, waitUntil, type ManagedProcess } from '@ticketcd/stack';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

export interface NginxProxy {
  /** http://127.0.0.1:<port> */
  httpUrl: string;
  /** https://127.0.0.1:<port>, a self-signed certificate (clients must not verify it). */
  httpsUrl: string;
  dir: string;
  process: ManagedProcess;
  stop(): Promise<void>;
}

export function nginxBinary(): string {
  for (const p of [process.env.NGINX_PATH, '/usr/sbin/nginx', '/usr/bin/nginx'].filter(Boolean) as string[]) {
    try {
      fs.accessSync(p, fs.constants.X_OK);
      return p;
    } catch {
      // keep looking
    }
  }
  throw new Error('nginx not found: run scripts/ensure-deps.sh --browser (installs Debian nginx) or set NGINX_PATH');
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

/** Starts nginx in front of `upstream` (host:port); `stop()` ends it and removes its dir. */
export async function startNginxProxy(upstream: string): Promise<NginxProxy> {
  const binary = nginxBinary();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ticketcd-nginx-'));
  execFileSync(
    'openssl',
    ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=127.0.0.1', '-keyout', 'key.pem', '-out', 'cert.pem'],
    { cwd: dir, stdio: 'pipe' },
  );
  for (const t of ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi']) fs.mkdirSync(path.join(dir, `${t}_temp`));
  const base = await findFreePortBlock(2);
  const [httpPort, httpsPort] = [base, base + 1];
  // As root (a CI container) the workers would drop to nobody, who cannot write the temp dirs here.
  const isRoot = process.getuid?.() === 0;
  fs.writeFileSync(
    path.join(dir, 'nginx.conf'),
    `daemon off;
${isRoot ? 'user root;' : ''}
worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log info;
events { worker_connections 256; }
http {
  access_log ${dir}/access.log;
  client_body_temp_path ${dir}/client_body_temp;
  proxy_temp_path ${dir}/proxy_temp;
  fastcgi_temp_path ${dir}/fastcgi_temp;
  uwsgi_temp_path ${dir}/uwsgi_temp;
  scgi_temp_path ${dir}/scgi_temp;
  upstream gateway { server ${upstream}; }
  server {
    listen 127.0.0.1:${httpPort};
    listen 127.0.0.1:${httpsPort} ssl;
    ssl_certificate ${dir}/cert.pem;
    ssl_certificate_key ${dir}/key.pem;
    location / {
      proxy_pass http://gateway;
      proxy_http_version 1.1;
      proxy_set_header Host $http_host;
      # What a client sent, then the address nginx saw: the left-most entries are the client's to write.
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
      # Set, not passed on: a client's own X-Forwarded-Proto never reaches the gateway.
      proxy_set_header X-Forwarded-Proto $scheme;
      proxy_set_header X-Real-IP $remote_addr;
    }
  }
}
`,
  );
  // -e: the error log before the config is read (else /var/log/nginx, which may not be writable).
  const proc = startProcess('nginx', binary, ['-p', dir, '-c', path.join(dir, 'nginx.conf'), '-e', path.join(dir, 'error.log')], {
    logFile: path.join(dir, 'stdout.log'),
  });
  const stop = async () => {
    await stopProcess(proc, { signal: 'SIGQUIT', graceMs: 5000 });
    fs.rmSync(dir, { recursive: true, force: true });
  };
  try {
    await waitUntil(
      'nginx listening',
      async () => {
        if (!isAlive(proc.pid)) throw new GiveUp(`nginx exited: ${tail(path.join(dir, 'error.log'))}`);
        return (await canConnect(httpPort)) && (await canConnect(httpsPort));
      },
      10_000,
    );
  } catch (e) {
    await stop();
    throw e;
  }
  return { httpUrl: `http://127.0.0.1:${httpPort}`, httpsUrl: `https://127.0.0.1:${httpsPort}`, dir, process: proc, stop };
}
