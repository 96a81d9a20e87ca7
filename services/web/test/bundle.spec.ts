// The UI brief's budget: initial JavaScript under 200 KB gzipped, the admin side code-split.
// Reads the production build (`npm run build` makes it; scripts/test.sh builds before testing).
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';

const dist = 'services/web/dist';

function initialScripts(): string[] {
  const html = fs.readFileSync(path.join(dist, 'index.html'), 'utf8');
  return [...html.matchAll(/(?:src|href)="(\/assets\/[^"]+\.js)"/g)].map((m) => m[1]!);
}

const gzipped = (file: string) => zlib.gzipSync(fs.readFileSync(path.join(dist, file))).length;

describe('web bundle', () => {
  beforeAll(() => {
    if (!fs.existsSync(path.join(dist, 'index.html'))) throw new Error(`${dist} is missing: run npm run build first`);
  });

  it('loads under 200 KB of gzipped JavaScript on first visit', () => {
    const scripts = initialScripts();
    expect(scripts.length).toBeGreaterThan(0);
    const total = scripts.reduce((n, s) => n + gzipped(s), 0);
    expect({ scripts, kb: Math.round(total / 1024) }).toEqual({ scripts, kb: expect.any(Number) });
    expect(total).toBeLessThan(200 * 1024);
  });

  it('keeps the admin pages and the chart library out of the first load', () => {
    const initial = initialScripts()
      .map((s) => fs.readFileSync(path.join(dist, s), 'utf8'))
      .join('\n');
    const chunks = fs.readdirSync(path.join(dist, 'assets')).filter((f) => f.endsWith('.js'));
    expect(chunks.some((f) => f.startsWith('admin.routes-'))).toBe(true);
    // Chart.js registers its controllers by these names; none may be in the initial scripts.
    expect(initial).not.toMatch(/doughnut|BarController/);
  });
});
