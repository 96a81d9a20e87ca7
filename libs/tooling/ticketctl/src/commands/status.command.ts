import type { Command } from 'commander';

export function registerStatus(_program: Command): void {
  // filled in by its owner
}
