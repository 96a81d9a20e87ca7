/**
 * Writes the OpenAPI document to docs/openapi.json (`npm run openapi`), or with --check exits 1
 * if the checked-in file differs from what the code generates. No etcd or NATS needed: the app
 * is built in Nest's preview mode (modules and metadata only, no provider runs).
 */
import 'reflect-metadata';
import fs from 'node:fs';
import path from 'node:path';
import { openApiJson } from './openapi.document.js';

const file = path.resolve(process.argv.find((a) => a.startsWith('--out='))?.slice(6) ?? 'docs/openapi.json');
const json = await openApiJson();
if (process.argv.includes('--check')) {
  const current = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '';
  if (current !== json) {
    process.stderr.write(`${path.relative(process.cwd(), file)} is out of date: run npm run openapi and commit it\n`);
    process.exit(1);
  }
  process.stdout.write(`${path.relative(process.cwd(), file)} is current\n`);
} else {
  fs.writeFileSync(file, json);
  process.stdout.write(`wrote ${path.relative(process.cwd(), file)}\n`);
}
