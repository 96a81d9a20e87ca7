import { findFreePortBlock, Stack } from '@ticketcd/stack';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ENV_ETCD, ENV_NATS } from './shared-cluster.js';

declare global {
  var __TICKETCD_STACK__: Stack | undefined;
}

export default async function globalSetup(): Promise<void> {
  if (globalThis.__TICKETCD_STACK__) return;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ticketcd-test-'));
  const stack = new Stack({ dir, portBase: await findFreePortBlock(40), services: false, repoRoot: process.cwd() });
  await stack.start();
  globalThis.__TICKETCD_STACK__ = stack;
  process.env[ENV_ETCD] = stack.etcd.endpoints.join(',');
  process.env[ENV_NATS] = stack.nats.url;
}
