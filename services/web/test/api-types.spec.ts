// Guards the UI's API contract: src/api/schema.gen.ts is what docs/openapi.json generates.
import fs from 'node:fs';
// @ts-expect-error -- a plain .mjs tool without types
import { generateApiTypes } from '../tools/api-types.mjs';

describe('web API types', () => {
  it('services/web/src/api/schema.gen.ts is current (run `npm run openapi` after changing a route)', async () => {
    expect(fs.readFileSync('services/web/src/api/schema.gen.ts', 'utf8')).toBe(await generateApiTypes());
  });
});
