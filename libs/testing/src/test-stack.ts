/**
 * A private stack for tests that break things (stop etcd members, kill services): its own
 * five members, NATS and service processes, on free ports in a temp dir, removed afterwards.
 */
import { findFreePortBlock, Stack, type StackOptions } from '@ticketcd/stack';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export async function startPrivateStack(
  opts: Partial<Pick<StackOptions, 'services' | 'instances' | 'env' | 'serviceEnv' | 'control'>> = {},
): Promise<Stack> {
  // A port taken between the check and the bind fails the start: try another block.
  for (let attempt = 1; ; attempt++) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ticketcd-private-'));
    const stack = new Stack({
      dir,
      portBase: await findFreePortBlock(60),
      repoRoot: process.cwd(),
      services: opts.services ?? false,
      instances: opts.instances,
      env: opts.env,
      serviceEnv: opts.serviceEnv,
      control: opts.control,
    });
    try {
      await stack.start();
      return stack;
    } catch (e) {
      await stopPrivateStack(stack);
      if (attempt >= 3) throw e;
    }
  }
}

export async function stopPrivateStack(stack: Stack | undefined): Promise<void> {
  if (!stack) return;
  await stack.stop();
  fs.rmSync(stack.opts.dir, { recursive: true, force: true });
}
