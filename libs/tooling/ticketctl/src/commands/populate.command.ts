/**
 * ticketctl populate --config data.yaml [--seed N] | --in dataset.json
 * Loads a dataset into etcd in bulk (see populate/populate.service.ts), prints a table of what
 * it created, and writes the created accounts' passwords to --credentials.
 */
import { type Command, InvalidArgumentError } from 'commander';
import fs from 'node:fs';
import { DATASET_VERSION, type Dataset } from '../dataset.js';
import { connect, resolveEndpoints, type GlobalOptions } from '../endpoints.js';
import { generateDataset, loadDataConfig, resolveAnchor, resolveSeed } from '../generate/index.js';
import { CliError, printJson, table } from '../output.js';
import { plannedKeys } from '../populate/plan.js';
import { Populate, type PopulateReport } from '../populate/populate.service.js';
import { Progress } from '../populate/progress.js';

interface PopulateFlags {
  config?: string;
  in?: string;
  seed?: string;
  anchor?: string;
  dryRun?: boolean;
  keys?: boolean;
  concurrency: number;
  passwordPool: number;
  credentials: string;
  purchaseWindow: number;
  wait: number;
  json?: boolean;
  quiet?: boolean;
}

const int = (min: number, max: number) => (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < min || n > max) throw new InvalidArgumentError(`must be a whole number from ${min} to ${max}`);
  return n;
};

export async function loadDataset(flags: Pick<PopulateFlags, 'config' | 'in' | 'seed' | 'anchor'>): Promise<Dataset> {
  if (!flags.config === !flags.in) throw new CliError('give exactly one of --config <data.yaml> or --in <dataset.json>');
  if (flags.config) {
    const config = await loadDataConfig(flags.config);
    return generateDataset(config, resolveSeed(flags.seed, config), resolveAnchor(flags.anchor, config));
  }
  let d: Dataset;
  try {
    d = JSON.parse(fs.readFileSync(flags.in!, 'utf8')) as Dataset;
  } catch (e) {
    throw new CliError(`--in ${flags.in}: ${(e as Error).message}`);
  }
  if (d?.version !== DATASET_VERSION || !Array.isArray(d.users) || !Array.isArray(d.events))
    throw new CliError(`--in ${flags.in}: not a ticketctl dataset (version ${DATASET_VERSION}); make one with ticketctl generate`);
  return d;
}

export function registerPopulate(program: Command): void {
  program
    .command('populate')
    .description('load generated data into etcd: batched, idempotent, purchases through the inventory engine')
    .option('--config <file>', 'data config (YAML) to generate from, like `ticketctl generate`')
    .option('--seed <n>', 'random seed (overrides the config)')
    .option('--anchor <iso>', 'base time of relative dates (default: today 00:00 UTC)')
    .option('--in <file>', 'a dataset written by `ticketctl generate --out`')
    .option('--dry-run', 'write nothing: print what would be created')
    .option('--keys', 'with --dry-run: print every key the dataset plans, one per line')
    .option('--concurrency <n>', 'bulk Txns in flight', int(1, 64), 4)
    .option('--password-pool <n>', 'distinct passwords among created accounts (each hashed once at full cost)', int(1, 1024), 16)
    .option('--credentials <file>', "where the created accounts' passwords are written (mode 600)", 'ticketctl-credentials.csv')
    .option('--purchase-window <n>', 'orders in flight through the engine', int(1, 20_000), 500)
    .option('--wait <seconds>', 'wait up to this long for the services to record the sales (0: do not wait)', int(0, 3600), 120)
    .option('--json', 'print the report as JSON')
    .option('--quiet', 'no progress output')
    .action(async (flags: PopulateFlags, cmd: Command) => {
      const globals = cmd.optsWithGlobals<GlobalOptions>();
      const dataset = await loadDataset(flags);
      if (flags.keys && !flags.dryRun) throw new CliError('--keys goes with --dry-run');
      if (flags.dryRun && flags.keys) {
        process.stdout.write(plannedKeys(dataset).join('\n') + '\n');
        return;
      }
      const endpoints = resolveEndpoints(globals);
      const etcd = connect(endpoints, 10_000);
      const progress = new Progress(process.stderr, flags.quiet || flags.json);
      progress.note(
        `populate: ${dataset.users.length} users, ${dataset.events.length} events, ${dataset.favourites.length} favourites, ` +
          `${dataset.subscriptions.length} subscriptions, ${dataset.purchases.length} purchases -> etcd ${endpoints.etcd.join(',')}` +
          `${endpoints.namespace ? ` (namespace ${endpoints.namespace})` : ''}${flags.dryRun ? ' [dry run]' : ''}`,
      );
      try {
        const report = await new Populate(etcd, progress, {
          concurrency: flags.concurrency,
          passwordPool: flags.passwordPool,
          credentialsFile: flags.credentials,
          dryRun: flags.dryRun ?? false,
          purchaseWindow: flags.purchaseWindow,
          waitMs: flags.wait * 1000,
        }).run(dataset);
        if (flags.json) printJson(report);
        else process.stdout.write(render(report));
      } finally {
        etcd.close();
      }
    });
}

function render(r: PopulateReport): string {
  const rows = r.phases.map((p) => [p.phase, p.planned, p.existing, p.created, p.keys, `${(p.ms / 1000).toFixed(1)} s`]);
  const lines = [
    table(['phase', 'planned', 'existing', r.dryRun ? 'would create' : 'created', 'keys', 'time'], rows),
    r.dryRun
      ? `dry run: nothing written; ${r.keys} key(s) would be written`
      : `${r.keys} key(s) written in ${(r.ms / 1000).toFixed(1)} s (${r.keysPerSecond} keys/s)`,
  ];
  const refused = Object.entries(r.sales.refused);
  if (!r.dryRun)
    lines.push(
      `purchases: ${r.sales.sold} sold, ${r.sales.existing} sold before` +
        (refused.length ? `, refused: ${refused.map(([k, n]) => `${n} ${k.replace(/_/g, ' ')}`).join(', ')}` : '') +
        (r.sales.conflicts ? `, ${r.sales.conflicts} skipped (their idempotency key names another order)` : ''),
    );
  if (r.credentialsFile) lines.push(`passwords of the created accounts: ${r.credentialsFile}`);
  if (!r.dryRun && r.sales.sold > 0) {
    if (!r.background.inventoryRunning)
      lines.push('no inventory instance is running: the sales are relayed (purchase records, stats, alerts) when one starts');
    else if (r.background.waitedMs === 0 && r.background.pending > 0)
      lines.push('not waiting for the services to record the sales (--wait 0); check with: ticketctl verify');
    else if (r.background.pending > 0)
      lines.push(
        `${r.background.pending} sale(s) not yet recorded as purchases after ${Math.round(r.background.waitedMs / 1000)} s; check with: ticketctl verify`,
      );
    else lines.push(`every sale recorded as a purchase (${(r.background.waitedMs / 1000).toFixed(1)} s after the last write)`);
  }
  return lines.join('\n') + '\n';
}
