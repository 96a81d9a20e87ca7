import fs from 'node:fs';

export default async function globalTeardown() {
  const stack = globalThis.__TICKETCD_STACK__;
  if (!stack) return;
  globalThis.__TICKETCD_STACK__ = undefined;
  await stack.stop({ discard: true });
  fs.rmSync(stack.opts.dir, { recursive: true, force: true });
}
