import type { Command } from 'commander';

export function registerPopulate(_program: Command): void {
  // filled in by its owner
}
