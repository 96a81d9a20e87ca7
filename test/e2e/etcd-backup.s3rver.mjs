// A local S3-compatible store for test/e2e/etcd-backup.e2e-spec.ts: s3rver on 127.0.0.1:<port>,
// files under <dir>, bucket <bucket>. A process of its own so the test can take the store down
// (kill it) and bring it back on the same files. Usage: node etcd-backup.s3rver.mjs <port> <dir> <bucket>
import S3rver from 's3rver';

const [port, directory, bucket] = process.argv.slice(2);
const server = new S3rver({ port: Number(port), address: '127.0.0.1', silent: true, directory, configureBuckets: [{ name: bucket }] });
await server.run();
process.stdout.write(`s3rver listening on 127.0.0.1:${port}\n`);
process.on('SIGTERM', () => server.close().then(() => process.exit(0)));
