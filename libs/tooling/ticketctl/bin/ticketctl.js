#!/usr/bin/env node
// `npx ticketctl` / `npm run ticketctl --`: the built CLI (npm run build first).
import('../dist/cli.js').catch((e) => {
  if (e && e.code === 'ERR_MODULE_NOT_FOUND' && String(e.message).includes('ticketctl/dist/'))
    process.stderr.write('ticketctl: not built yet; run `npm run build` first\n');
  else process.stderr.write(`ticketctl: ${e && e.stack ? e.stack : e}\n`);
  process.exit(2);
});
