/**
 * ticketctl: generate demo data from a config, load it into etcd in bulk, query and watch keys,
 * show the cluster's status, and verify every invariant. `ticketctl --help` lists the commands.
 */
import { Command, CommanderError } from 'commander';
import { registerGenerate } from './commands/generate.command.js';
import { registerPopulate } from './commands/populate.command.js';
import { registerQuery } from './commands/query.command.js';
import { registerStatus } from './commands/status.command.js';
import { registerVerify } from './commands/verify.command.js';
import { CliError } from './output.js';

const program = new Command('ticketctl')
  .description('TickETCD data and inspection tool: generate, populate, get, ls, history, watch, status, verify')
  .option('--etcd <endpoints>', 'etcd endpoints, comma-separated (default: $ETCD_ENDPOINTS, the config file, or the local stack)')
  .option('--nats <url>', 'NATS URL (default: $NATS_URL, the config file, or the local stack)')
  .option('--stack-dir <dir>', 'the local stack directory whose endpoints are the default', '.stack')
  .option('--config-file <file>', 'YAML file with etcd.endpoints and nats.url (or $TICKETCTL_CONFIG)')
  .option('--namespace <prefix>', "key prefix the data lives under, like the services' ETCD_NAMESPACE (default: $ETCD_NAMESPACE or none)")
  .showHelpAfterError()
  .exitOverride();

registerGenerate(program);
registerPopulate(program);
registerQuery(program);
registerStatus(program);
registerVerify(program);

try {
  await program.parseAsync(process.argv);
} catch (e) {
  if (e instanceof CommanderError) process.exit(e.exitCode === 0 ? 0 : 2);
  if (e instanceof CliError) {
    process.stderr.write(`ticketctl: ${e.message}\n`);
    process.exit(e.exitCode);
  }
  const message = (e as Error).message ?? String(e);
  // A store that does not answer in time is not a bug of ours: say which, exit 3.
  if (/deadline|unavailable|ECONNREFUSED|No connection|quorum/i.test(message)) {
    process.stderr.write(`ticketctl: etcd unavailable: ${message}\n`);
    process.exit(3);
  }
  process.stderr.write(`ticketctl: ${(e as Error).stack ?? message}\n`);
  process.exit(1);
}
// Open watches or connections must not keep a finished command alive.
if (!process.exitCode || process.exitCode === 0) process.exit(process.exitCode ?? 0);
process.exit(process.exitCode);
