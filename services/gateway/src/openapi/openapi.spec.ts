// Guards the API contract: docs/openapi.json is generated from the code and must be current.
import fs from 'node:fs';
import { openApiJson } from './openapi.document.js';

describe('OpenAPI document', () => {
  let json: string;
  beforeAll(async () => {
    json = await openApiJson();
  }, 60_000);

  it('docs/openapi.json is what the code generates (run `npm run openapi` after changing a route)', () => {
    expect(fs.readFileSync('docs/openapi.json', 'utf8')).toBe(json);
  });

  it('documents every /api route with its errors in the one error shape', () => {
    const doc = JSON.parse(json) as {
      paths: Record<
        string,
        Record<string, { responses: Record<string, { content?: { 'application/json'?: { schema?: { $ref?: string } } } }> }>
      >;
    };
    const ops = Object.entries(doc.paths).filter(([p]) => p.startsWith('/api/'));
    expect(ops.length).toBeGreaterThan(15);
    for (const [p, methods] of ops) {
      for (const [m, op] of Object.entries(methods)) {
        const errors = Object.entries(op.responses).filter(([s]) => Number(s) >= 400);
        expect({ route: `${m} ${p}`, errors: errors.length > 0 }).toEqual({ route: `${m} ${p}`, errors: true });
        for (const [, r] of errors) expect(r.content?.['application/json']?.schema?.$ref).toBe('#/components/schemas/Error');
      }
    }
  });
});
