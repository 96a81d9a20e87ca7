/**
 * Issue 26 point 4: the docs point inside the repository. Every relative markdown link in README.md
 * and the docs (docs/, helm/, k8s/) names a file or folder that exists in the repository, and no
 * path the docs give as `../...` leaves the repository root (the README once sent readers to
 * `../shared/design-brief.md`, a folder outside it; the brief is docs/design-brief.md now). A link
 * to `#a-heading` (of the same page or another .md) names a heading that page has, as GitHub
 * spells its anchors.
 */
import fs from 'node:fs';
import path from 'node:path';

const ROOT = path.resolve(import.meta.dirname, '../..');

function markdownFiles(dir: string, out: string[] = []): string[] {
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const file = path.join(dir, entry.name);
    if (entry.isDirectory()) {
      if (!['node_modules', 'dist', 'screenshots'].includes(entry.name)) markdownFiles(file, out);
    } else if (entry.name.endsWith('.md')) out.push(file);
  }
  return out;
}

const FILES = [path.join(ROOT, 'README.md'), ...['docs', 'helm', 'k8s'].flatMap((d) => markdownFiles(path.join(ROOT, d)))];

/** The text with fenced code blocks blanked (a link shown in an example is not a link). */
const withoutFences = (md: string) => md.replace(/^(```|~~~)[^\n]*\n[\s\S]*?^\1[^\n]*$/gm, '');

/** Targets of inline links and images, and of reference definitions, that are not URLs (anchors kept). */
function localTargets(md: string): string[] {
  const text = withoutFences(md).replace(/`[^`\n]*`/g, '');
  const targets = [
    ...[...text.matchAll(/!?\[[^\]\n]*\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)].map((m) => m[1]!),
    ...[...text.matchAll(/^\s{0,3}\[[^\]\n]+\]:\s*<?(\S+?)>?(?:\s.*)?$/gm)].map((m) => m[1]!),
  ];
  return targets.filter((t) => !/^[a-z][a-z0-9+.-]*:/i.test(t));
}

/** Relative targets of links (files and folders; URLs and #anchors left out). */
export function relativeLinks(md: string): string[] {
  return localTargets(md)
    .filter((t) => !t.startsWith('#'))
    .map((t) => decodeURI(t.split('#')[0]!));
}

/** Links with an anchor: [the file, '' for the same page; the anchor]. */
export function anchorLinks(md: string): [string, string][] {
  return localTargets(md)
    .filter((t) => t.includes('#'))
    .map((t) => {
      const i = t.indexOf('#');
      return [decodeURI(t.slice(0, i)), decodeURIComponent(t.slice(i + 1))];
    });
}

/** The anchors GitHub gives a page's headings: lower case, punctuation dropped, spaces to '-', repeats numbered. */
export function headingAnchors(md: string): string[] {
  const seen = new Map<string, number>();
  return [...withoutFences(md).matchAll(/^#{1,6}[ \t]+(.+?)[ \t]*#*[ \t]*$/gm)].map((m) => {
    const base = m[1]!
      .toLowerCase()
      .replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, '')
      .replace(/ /g, '-');
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    return n === 0 ? base : `${base}-${n}`;
  });
}

/** Paths the prose gives in code spans as `../something`: relative to the file, like a link. */
export function dotDotPaths(md: string): string[] {
  return [...withoutFences(md).matchAll(/`(\.\.\/[^`\s]+)`/g)].map((m) => m[1]!);
}

const inside = (abs: string) => abs === ROOT || abs.startsWith(ROOT + path.sep);

describe('links in README.md and docs/ stay inside the repository (issue 26 point 4)', () => {
  it('finds the documents and their links', () => {
    expect(FILES.map((f) => path.relative(ROOT, f))).toEqual(
      expect.arrayContaining(['README.md', 'docs/architecture.md', 'docs/design-brief.md']),
    );
    expect(FILES.flatMap((f) => relativeLinks(fs.readFileSync(f, 'utf8'))).length).toBeGreaterThan(5);
  });

  it.each(FILES.map((f) => [path.relative(ROOT, f), f]))('%s: every relative link names a file in the repository', (_name, file) => {
    const md = fs.readFileSync(file, 'utf8');
    const bad = [...relativeLinks(md), ...dotDotPaths(md)]
      .map((target) => ({ target, abs: path.resolve(path.dirname(file), target) }))
      .filter(({ abs }) => !inside(abs) || !fs.existsSync(abs))
      .map(({ target, abs }) => `${target} (${inside(abs) ? 'missing' : 'outside the repository'})`);
    expect(bad).toEqual([]);
  });

  it.each(FILES.map((f) => [path.relative(ROOT, f), f]))('%s: every #anchor names a heading of its page', (_name, file) => {
    const bad = anchorLinks(fs.readFileSync(file, 'utf8'))
      .filter(([target, anchor]) => {
        const page = target === '' ? file : path.resolve(path.dirname(file), target);
        if (!page.endsWith('.md') || !inside(page) || !fs.existsSync(page)) return false; // not a page: the test above judges the file
        return !headingAnchors(fs.readFileSync(page, 'utf8')).includes(anchor);
      })
      .map(([target, anchor]) => `${target}#${anchor}`);
    expect(bad).toEqual([]);
  });

  it('the README and the architecture page link the design brief inside the repository', () => {
    for (const doc of ['README.md', 'docs/architecture.md']) {
      const links = relativeLinks(fs.readFileSync(path.join(ROOT, doc), 'utf8')).map((t) =>
        path.resolve(path.dirname(path.join(ROOT, doc)), t),
      );
      expect(links).toContain(path.join(ROOT, 'docs/design-brief.md'));
    }
  });
});

describe('the link finder', () => {
  it('reads inline links, images and reference definitions; skips URLs, anchors, code and fences', () => {
    const md = [
      'See [the guide](docs/a.md#part) and ![shot](docs/s.png "title") and [site](https://x.org) and [top](#top).',
      '[ref]: ../outside.md',
      '`[not](a-link.md)` and:',
      '```md',
      '[also not](fenced.md)',
      '```',
      'Read `../shared/design-brief.md` too.',
    ].join('\n');
    expect(relativeLinks(md)).toEqual(['docs/a.md', 'docs/s.png', '../outside.md']);
    expect(dotDotPaths(md)).toEqual(['../shared/design-brief.md']);
    expect(anchorLinks(md)).toEqual([
      ['docs/a.md', 'part'],
      ['', 'top'],
    ]);
  });

  it('spells heading anchors as GitHub does, repeats numbered', () => {
    const md = [
      '# Benchmarks',
      '## Search: 10,000 events (`npm run bench:search`)',
      '### Quiet-machine runs (lead, 2026-11-27)',
      '```',
      '# not a heading',
      '```',
      '### Quiet-machine runs (lead, 2026-11-27)',
    ].join('\n');
    expect(headingAnchors(md)).toEqual([
      'benchmarks',
      'search-10000-events-npm-run-benchsearch',
      'quiet-machine-runs-lead-2026-11-27',
      'quiet-machine-runs-lead-2026-11-27-1',
    ]);
  });
});
