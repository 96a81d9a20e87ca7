/**
 * The UI's API types from docs/openapi.json (openapi-typescript): writes src/api/schema.gen.ts,
 * or with --check exits 1 if the checked-in file is not what the spec generates.
 * `npm run openapi` runs it after regenerating the spec.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import openapiTS, { astToString } from 'openapi-typescript';

const here = path.dirname(fileURLToPath(import.meta.url));
const spec = path.resolve(here, '../../../docs/openapi.json');
const out = path.resolve(here, '../src/api/schema.gen.ts');

export async function generateApiTypes() {
  const ast = await openapiTS(JSON.parse(fs.readFileSync(spec, 'utf8')));
  return `/**\n * Generated from docs/openapi.json by services/web/tools/api-types.mjs: do not edit.\n * \`npm run openapi\` regenerates it.\n */\n\n${astToString(ast)}`;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const ts = await generateApiTypes();
  const rel = path.relative(process.cwd(), out);
  if (process.argv.includes('--check')) {
    if ((fs.existsSync(out) ? fs.readFileSync(out, 'utf8') : '') !== ts) {
      process.stderr.write(`${rel} is out of date: run npm run openapi and commit it\n`);
      process.exit(1);
    }
    process.stdout.write(`${rel} is current\n`);
  } else {
    fs.writeFileSync(out, ts);
    process.stdout.write(`wrote ${rel}\n`);
  }
}
