/**
 * get, ls, history, watch: read keys as people read them (readable by default) or as scripts do
 * (--json). Keys are those of --namespace (shown without it); every read has a deadline. Every
 * value goes through `printable` (query/secrets.ts): credentials are redacted unless --show-secrets.
 */
import type { EtcdConnection } from '@ticketcd/etcd';
import type { Command } from 'commander';
import { connect, resolveEndpoints, type Endpoints, type GlobalOptions } from '../endpoints.js';
import { CliError, jsonValue, printJson, readable, table } from '../output.js';
import { checkKeyArg, keyRecord, oneLine, parseCount, watchJson, watchLine } from '../query/format.js';
import { keyHistory } from '../query/history.js';
import { getKey, listKeys, namespaceOverview } from '../query/kv.js';
import { printable } from '../query/secrets.js';
import { watchPrefix } from '../query/watch.js';

/** Deadline of each etcd call of these commands. */
const DEADLINE_MS = 5000;

export function endpointsOf(cmd: Command): Endpoints {
  try {
    return resolveEndpoints(cmd.optsWithGlobals<GlobalOptions>());
  } catch (e) {
    throw new CliError((e as Error).message, 2);
  }
}

async function withConnection<T>(cmd: Command, run: (conn: EtcdConnection, ep: Endpoints) => Promise<T>): Promise<T> {
  const ep = endpointsOf(cmd);
  const conn = connect(ep, DEADLINE_MS);
  try {
    return await run(conn, ep);
  } finally {
    conn.close();
  }
}

const out = (s: string) => process.stdout.write(s);

/** The flag every reading command takes (issue 26 point 2: secrets are hidden by default). */
const SHOW_SECRETS = ['--show-secrets', 'print password hashes and session values as stored (hidden by default)'] as const;

export function registerQuery(program: Command): void {
  program
    .command('get')
    .description("one key's value (pretty JSON) with its create/mod revision, version and lease; exit 1 when missing")
    .argument('<key>', 'the key, without the namespace')
    .option('--json', 'print {key, value, createRevision, modRevision, version, lease}')
    .option(...SHOW_SECRETS)
    .action(async (rawKey: string, opts: { json?: boolean; showSecrets?: boolean }, cmd: Command) => {
      const key = checkKeyArg(rawKey, 'key');
      await withConnection(cmd, async (conn) => {
        const found = await getKey(conn, key);
        if (!found) throw new CliError(`key ${key} not found${conn.namespace ? ` (in namespace ${conn.namespace})` : ''}`, 1);
        const kv = { ...found, value: printable(found.key, found.value, !!opts.showSecrets) };
        if (opts.json) return printJson(keyRecord(kv));
        out(
          `key:       ${kv.key}\n` +
            `revisions: created ${kv.createRevision}, modified ${kv.modRevision}, version ${kv.version}\n` +
            `lease:     ${kv.lease ?? 'none'}\n` +
            `value:\n${readable(kv.value)}\n`,
        );
      });
    });

  program
    .command('ls')
    .description('keys under a prefix in key order (paged reads); without a prefix: the namespaces with their key counts')
    .argument('[prefix]', 'key prefix, without the namespace (e.g. event:)')
    .option('--limit <n>', 'show at most n keys (0: all)', '100')
    .option('--keys-only', 'only the keys')
    .option('--json', 'print a JSON array (of keys with --keys-only)')
    .option(...SHOW_SECRETS)
    .action(
      async (
        rawPrefix: string | undefined,
        opts: { limit: string; keysOnly?: boolean; json?: boolean; showSecrets?: boolean },
        cmd: Command,
      ) => {
        const limit = parseCount(opts.limit, '--limit', 100);
        if (rawPrefix === undefined) {
          return withConnection(cmd, async (conn) => {
            const o = await namespaceOverview(conn);
            if (opts.json) return printJson(o);
            out(table(['NAMESPACE', 'KEYS'], [...o.namespaces.map((n) => [n.namespace, n.keys]), ['total', o.total]]));
          });
        }
        const prefix = checkKeyArg(rawPrefix, 'prefix');
        await withConnection(cmd, async (conn) => {
          const listed = await listKeys(conn, prefix, limit);
          // Judged key by key: a prefix such as `u` spans user: keys too.
          const l = { ...listed, items: listed.items.map((i) => ({ ...i, value: printable(i.key, i.value, !!opts.showSecrets) })) };
          if (opts.json) return printJson(opts.keysOnly ? l.items.map((i) => i.key) : l.items.map((i) => keyRecord(i)));
          if (opts.keysOnly) out(l.items.map((i) => `${i.key}\n`).join(''));
          else {
            const width = Math.min(60, Math.max(0, ...l.items.map((i) => i.key.length)));
            out(l.items.map((i) => `${i.key.padEnd(width)}  ${oneLine(i.value, Math.max(20, 118 - width))}\n`).join(''));
          }
          if (l.items.length === 0) process.stderr.write(`no keys under ${prefix}\n`);
          if (l.more > 0) process.stderr.write(`... ${l.more} more (--limit 0 for all)\n`);
        });
      },
    );

  program
    .command('history')
    .description('each revision of a key (puts and deletes), oldest first, as far back as etcd keeps (compaction)')
    .argument('<key>', 'the key, without the namespace')
    .option('--limit <n>', 'the newest n revisions (0: all)', '100')
    .option('--timeout <seconds>', 'give up after this long', '10')
    .option('--json', 'print {key, revision, compactedBefore, omitted, items: [{type, modRevision, version, value}]}')
    .option(...SHOW_SECRETS)
    .action(async (rawKey: string, opts: { limit: string; timeout: string; json?: boolean; showSecrets?: boolean }, cmd: Command) => {
      const key = checkKeyArg(rawKey, 'key');
      const limit = parseCount(opts.limit, '--limit', 100);
      const timeoutMs = parseCount(opts.timeout, '--timeout', 10, 1) * 1000;
      await withConnection(cmd, async (conn) => {
        const read = await keyHistory(conn, key, { limit, timeoutMs });
        const h = { ...read, items: read.items.map((i) => ({ ...i, value: printable(key, i.value, !!opts.showSecrets) })) };
        if (opts.json) {
          printJson({ ...h, items: h.items.map((i) => ({ ...i, value: i.value === null ? null : jsonValue(i.value) })) });
          // No history at all is exit 1 in both forms (as get of a missing key).
          if (h.items.length === 0) process.exitCode = 1;
          return;
        }
        if (h.compactedBefore !== null) out(`(revisions before ${h.compactedBefore} were compacted: older history is gone)\n`);
        if (h.omitted > 0) out(`(${h.omitted} older revision(s) left out: --limit 0 for all)\n`);
        if (h.items.length === 0) {
          out(`no history of ${key} up to revision ${h.revision}\n`);
          throw new CliError(`key ${key} has no history`, 1);
        }
        out(
          table(
            ['REV', 'TYPE', 'VERSION', 'VALUE'],
            h.items.map((i) => [
              i.modRevision,
              i.type === 'put' ? 'PUT' : 'DELETE',
              i.type === 'put' ? i.version : '-',
              i.value === null ? '(deleted)' : oneLine(i.value, 90),
            ]),
          ),
        );
      });
    });

  program
    .command('watch')
    .description('stream puts and deletes under a prefix as they happen (Ctrl-C to stop)')
    .argument('<prefix>', 'key prefix, without the namespace')
    .option('--json', 'one JSON object per line: {time, type, key, modRevision, value}')
    .option('--from-revision <r>', 'replay from this revision first')
    .option('--count <n>', 'exit after n events (0: never)', '0')
    .option('--timeout <seconds>', 'exit after this long (0: never)', '0')
    .option(...SHOW_SECRETS)
    .action(
      async (
        rawPrefix: string,
        opts: { json?: boolean; fromRevision?: string; count: string; timeout: string; showSecrets?: boolean },
        cmd: Command,
      ) => {
        const prefix = checkKeyArg(rawPrefix, 'prefix');
        const count = parseCount(opts.count, '--count', 0);
        const timeoutMs = parseCount(opts.timeout, '--timeout', 0) * 1000;
        const fromRevision = opts.fromRevision === undefined ? undefined : parseCount(opts.fromRevision, '--from-revision', 1, 1);
        await withConnection(cmd, async (conn) => {
          await watchPrefix(conn, {
            prefix,
            fromRevision,
            count,
            timeoutMs,
            startTimeoutMs: DEADLINE_MS,
            onEvent: (raw) => {
              const e = { ...raw, value: printable(raw.key, raw.value, !!opts.showSecrets) };
              out(`${opts.json ? watchJson(e) : watchLine(e)}\n`);
            },
            onReady: (rev) => process.stderr.write(`watching ${prefix} from revision ${fromRevision ?? rev + 1}\n`),
            onResumed: (from, to) =>
              process.stderr.write(`watch resumed; events may have been missed between revisions ${from} and ${to}\n`),
          });
        });
      },
    );
}
