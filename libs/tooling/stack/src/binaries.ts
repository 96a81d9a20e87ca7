/** Finds etcd and nats-server; Debian puts nats-server in /usr/sbin, often not on a user's PATH. */
import fs from 'node:fs';
import path from 'node:path';

const EXTRA_DIRS = ['/usr/sbin', '/usr/local/sbin', '/usr/local/bin', '/usr/bin'];

export function findBinary(name: string): string {
  const dirs = [...(process.env.PATH ?? '').split(path.delimiter), ...EXTRA_DIRS].filter(Boolean);
  for (const dir of dirs) {
    const candidate = path.join(dir, name);
    try {
      fs.accessSync(candidate, fs.constants.X_OK);
      return candidate;
    } catch {
      // keep looking
    }
  }
  throw new Error(
    `${name} not found; install it with: sudo apt-get install -y etcd-server etcd-client nats-server (or run scripts/ensure-deps.sh)`,
  );
}
