import type { Command } from 'commander';

export function registerGenerate(_program: Command): void {
  // filled in by its owner
}
