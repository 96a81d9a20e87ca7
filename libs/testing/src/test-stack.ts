/**
 * A private stack for tests that break things (stop etcd members, kill services): its own
 * five members, NATS and service processes, on free ports in a temp dir, removed afterwards.
 */
import { ALL_SERVICES, chartInstances, findFreePortBlock, Stack, type StackOptions } from '@ticketcd/stack';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/**
 * The deployed shape (issue 25, rule 7): every service with the chart's instance count, never fewer
 * than two, so invariant, chaos and fuzz runs see what a cluster runs. `more` raises some counts.
 */
export function deployedInstances(more: Record<string, number> = {}): Record<string, number> {
  const chart = chartInstances(process.cwd());
  return Object.fromEntries(ALL_SERVICES.map((s) => [s, Math.max(2, chart[s] ?? 0, more[s] ?? 0)]));
}

export async function startPrivateStack(
  opts: Partial<Pick<StackOptions, 'services' | 'instances' | 'env' | 'serviceEnv' | 'control'>> & {
    /** How long each service may take to become ready (default 60 s; a benchmark on a loaded machine may wait longer). */
    waitReadyMs?: number;
  } = {},
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
      await stack.start({ waitReadyMs: opts.waitReadyMs });
      return stack;
    } catch (e) {
      await stopPrivateStack(stack);
      if (attempt >= 3) throw e;
    }
  }
}

export async function stopPrivateStack(stack: Stack | undefined): Promise<void> {
  if (!stack) return;
  await stack.stop({ discard: true });
  fs.rmSync(stack.opts.dir, { recursive: true, force: true });
}
