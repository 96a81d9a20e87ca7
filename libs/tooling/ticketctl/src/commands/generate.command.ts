/**
 * `ticketctl generate --config data.yaml [--seed N] [--anchor DATE] [--out file]`: a dataset for
 * `populate --in`, as JSON. Same config, seed and anchor: the same bytes (docs/ticketctl.md).
 */
import { writeFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { datasetSummary, generateDataset, loadDataConfig, resolveAnchor, resolveSeed } from '../generate/index.js';
import { CliError } from '../output.js';

interface GenerateOptions {
  config: string;
  seed?: string;
  anchor?: string;
  out?: string;
  pretty?: boolean;
}

export function registerGenerate(program: Command): void {
  program
    .command('generate')
    .description('generate a deterministic dataset (users, events, tickets, favourites, subscriptions, purchases) from a data config')
    .requiredOption('--config <file>', 'data config (YAML), e.g. data/report.yaml')
    .option('--seed <n>', "random seed (overrides the config's seed; default 1)")
    .option('--anchor <date>', "ISO date relative event dates count from (overrides the config's anchor; default today's UTC midnight)")
    .option('--out <file>', 'write the dataset here instead of stdout')
    .option('--pretty', 'indent the JSON')
    .action(async (opts: GenerateOptions) => {
      const config = await loadDataConfig(opts.config);
      const seed = resolveSeed(opts.seed, config);
      const anchor = resolveAnchor(opts.anchor, config);
      const dataset = generateDataset(config, seed, anchor);
      const json = `${JSON.stringify(dataset, null, opts.pretty ? 2 : undefined)}\n`;
      if (opts.out) {
        try {
          await writeFile(opts.out, json);
        } catch (e) {
          throw new CliError(`cannot write ${opts.out}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, 2);
        }
      } else {
        // Wait for the write: the CLI exits right after the action, which could cut a piped stdout short.
        await new Promise<void>((resolve, reject) => process.stdout.write(json, (e) => (e ? reject(e) : resolve())));
      }
      process.stderr.write(`generated ${datasetSummary(dataset)}${opts.out ? ` -> ${opts.out}` : ''}\n`);
    });
}
