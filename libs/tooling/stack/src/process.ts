/**
 * Child processes of the stack: each runs in its own process group (so stopping it stops
 * whatever it spawned), logs to a file, and is stopped with SIGTERM then SIGKILL.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

export interface ManagedProcess {
  name: string;
  pid: number;
  logFile: string;
  child?: ChildProcess;
}

export function startProcess(
  name: string,
  command: string,
  args: string[],
  opts: { logFile: string; env?: NodeJS.ProcessEnv; cwd?: string },
): ManagedProcess {
  fs.mkdirSync(path.dirname(opts.logFile), { recursive: true });
  const fd = fs.openSync(opts.logFile, 'a');
  const child = spawn(command, args, { cwd: opts.cwd, env: opts.env ?? process.env, detached: true, stdio: ['ignore', fd, fd] });
  fs.closeSync(fd);
  if (child.pid === undefined) throw new Error(`could not start ${name} (${command})`);
  // Do not keep the parent's event loop alive for it; the stack tracks it by pid.
  child.unref();
  child.on('error', () => undefined);
  return { name, pid: child.pid, logFile: opts.logFile, child };
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function signalGroup(pid: number, signal: NodeJS.Signals) {
  try {
    process.kill(-pid, signal);
  } catch {
    try {
      process.kill(pid, signal);
    } catch {
      // already gone
    }
  }
}

/** SIGTERM (or the given signal), then SIGKILL after `graceMs`; resolves when the process is gone. */
export async function stopProcess(p: { pid: number }, opts: { signal?: NodeJS.Signals; graceMs?: number } = {}): Promise<void> {
  if (!isAlive(p.pid)) return;
  signalGroup(p.pid, opts.signal ?? 'SIGTERM');
  const deadline = Date.now() + (opts.graceMs ?? 8000);
  while (isAlive(p.pid) && Date.now() < deadline) await sleep(50);
  if (isAlive(p.pid)) {
    signalGroup(p.pid, 'SIGKILL');
    while (isAlive(p.pid)) await sleep(20);
  }
  // Reap a zombie child of ours, if it is one.
  await sleep(10);
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Thrown by a `waitUntil` check to stop waiting at once (e.g. the process died). */
export class GiveUp extends Error {}

/** Polls `check` until it returns true or `timeoutMs` passes. */
export async function waitUntil(what: string, check: () => Promise<boolean> | boolean, timeoutMs: number, intervalMs = 100): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      if (await check()) return;
    } catch (e) {
      if (e instanceof GiveUp) throw new Error(`gave up waiting for ${what}: ${e.message}`);
      lastError = e;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${lastError ? `: ${(lastError as Error).message}` : ''}`);
    }
    await sleep(intervalMs);
  }
}

export function tail(file: string, lines = 20): string {
  try {
    return fs.readFileSync(file, 'utf8').split('\n').slice(-lines).join('\n');
  } catch {
    return '';
  }
}
