// Starts the cluster the integration and e2e tiers share (plain JS: jest loads it natively,
// from the built libs, before any test file is transformed).
import { checkPinnedVersions, findFreePortBlock, Stack } from '@ticketcd/stack';
import { ENV_ETCD, ENV_NATS } from '@ticketcd/testing';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export default async function globalSetup() {
  if (globalThis.__TICKETCD_STACK__) return;
  // The versions the chart deploys, or no test at all (issue 25).
  checkPinnedVersions(process.cwd());
  let stack;
  // A port taken between the check and the bind fails the start: try another block.
  for (let attempt = 1; !stack; attempt++) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ticketcd-test-'));
    const candidate = new Stack({ dir, portBase: await findFreePortBlock(40), services: false, repoRoot: process.cwd() });
    try {
      await candidate.start();
      stack = candidate;
    } catch (e) {
      await candidate.stop();
      fs.rmSync(dir, { recursive: true, force: true });
      if (attempt >= 3) throw e;
    }
  }
  globalThis.__TICKETCD_STACK__ = stack;
  process.env[ENV_ETCD] = stack.etcd.endpoints.join(',');
  process.env[ENV_NATS] = stack.nats.url;
}
