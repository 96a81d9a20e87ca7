/**
 * Issue 30: the images the chart names -> local programs. The project's images come from the
 * stages of docker/Dockerfile (read with dockerfile-ast, so an edit of an ENTRYPOINT, CMD, ENV or
 * WORKDIR there is what the boot runs); etcd and NATS map to the binaries installed here; anything
 * else (the NATS metrics exporter) has no local program and is reported, not run.
 */
import { DockerfileParser } from 'dockerfile-ast';
import fs from 'node:fs';
import path from 'node:path';
import type { ImageEntry, ImageResolver } from './types.js';

/** What an image also sets besides the command (optional: other resolvers may leave them out). */
export interface ImageEntryExtras {
  /** The image's ENV, paths under its WORKDIR mapped like the workdir. Kubernetes' env overrides it. */
  env?: Record<string, string>;
  /** The image's USER, used when the pod's securityContext sets none (as the runtime does). */
  user?: { uid: number; gid: number };
}

export type ProjectImageEntry = ImageEntry & ImageEntryExtras;

interface Stage {
  entrypoint: string[];
  cmd: string[];
  env: Record<string, string>;
  workdir: string;
  user?: string;
}

const EMPTY_STAGE: Stage = { entrypoint: [], cmd: [], env: {}, workdir: '/' };

/** Each stage of a Dockerfile with the ENTRYPOINT, CMD, ENV, WORKDIR and USER it ends with (inherited from its base stage). */
export function dockerfileStages(text: string): Map<string, Stage> {
  const stages = new Map<string, Stage>();
  let current: Stage | null = null;
  let currentName: string | null = null;
  let index = 0;
  const close = () => {
    if (current) stages.set(currentName ?? String(index - 1), current);
  };
  const expand = (value: string, env: Record<string, string>) =>
    value.replace(/\$\{(\w+)\}|\$(\w+)/g, (_m, a: string | undefined, b: string | undefined) => env[a ?? b ?? ''] ?? '');
  for (const ins of DockerfileParser.parse(text).getInstructions()) {
    const keyword = ins.getKeyword();
    if (keyword === 'FROM') {
      close();
      // eslint-disable-next-line @typescript-eslint/no-explicit-any
      const from = ins as any;
      const base = stages.get(from.getImage() ?? '') ?? EMPTY_STAGE;
      current = { entrypoint: [...base.entrypoint], cmd: [...base.cmd], env: { ...base.env }, workdir: base.workdir, user: base.user };
      currentName = from.getBuildStage() ?? null;
      index++;
      continue;
    }
    if (!current) continue;
    if (keyword === 'ENTRYPOINT' || keyword === 'CMD') {
      // eslint-disable-next-line @typescript-eslint/no-explicit-any
      const json = (ins as any).getJSONStrings() as { getJSONValue(): string }[];
      const content = ins.getArgumentsContent() ?? '';
      // Exec form as written; shell form runs under /bin/sh -c, as Docker does.
      const words = content.trim().startsWith('[') ? json.map((s) => s.getJSONValue()) : ['/bin/sh', '-c', content];
      if (keyword === 'ENTRYPOINT') {
        current.entrypoint = words;
        // Docker: setting ENTRYPOINT resets a CMD inherited from the base image.
        current.cmd = [];
      } else {
        current.cmd = words;
      }
    } else if (keyword === 'ENV') {
      // eslint-disable-next-line @typescript-eslint/no-explicit-any
      for (const p of (ins as any).getProperties() as { getName(): string; getUnescapedValue(): string | null }[]) {
        current.env[p.getName()] = expand(p.getUnescapedValue() ?? '', current.env);
      }
    } else if (keyword === 'WORKDIR') {
      current.workdir = path.posix.resolve(current.workdir, expand(ins.getArgumentsContent() ?? '/', current.env));
    } else if (keyword === 'USER') {
      current.user = expand(ins.getArgumentsContent() ?? '', current.env).trim();
    }
  }
  close();
  return stages;
}

/** `name` on PATH (the jest process's), or null. */
export function findOnPath(name: string, pathVar = process.env.PATH ?? ''): string | null {
  for (const dir of pathVar.split(':').filter(Boolean)) {
    const candidate = path.join(dir, name);
    try {
      fs.accessSync(candidate, fs.constants.X_OK);
      if (fs.statSync(candidate).isFile()) return candidate;
    } catch {
      /* not here */
    }
  }
  return null;
}

/** The image's repository without registry-independent tag/digest: `a/b/c:tag@sha` -> `a/b/c`. */
function repository(image: string): string {
  const noDigest = image.split('@')[0];
  const lastSlash = noDigest.lastIndexOf('/');
  const colon = noDigest.indexOf(':', lastSlash + 1);
  return colon >= 0 ? noDigest.slice(0, colon) : noDigest;
}

/**
 * projectImages(repoRoot): ticketcd/<stage>:* -> that stage's ENTRYPOINT/CMD (tini dropped: it only
 * forwards signals and reaps, which the pod runtime does), WORKDIR /app -> repoRoot (and /app/... in
 * ENV); gcr.io/etcd-development/etcd -> /usr/local/bin/etcd mapped to the local etcd; nats:* ->
 * nats-server; anything else -> null.
 */
export function projectImages(repoRoot: string): ImageResolver & { entry(image: string): ProjectImageEntry | null } {
  const root = path.resolve(repoRoot);
  const stages = dockerfileStages(fs.readFileSync(path.join(root, 'docker', 'Dockerfile'), 'utf8'));
  // The images' own paths for the programs they ship -> the local ones.
  const programs: Record<string, string | null> = {
    '/usr/local/bin/etcd': findOnPath('etcd'),
    '/usr/local/bin/etcdctl': findOnPath('etcdctl'),
    '/usr/local/bin/etcdutl': findOnPath('etcdutl'),
    '/nats-server': findOnPath('nats-server'),
    '/usr/local/bin/nats-server': findOnPath('nats-server'),
    '/bin/nats-server': findOnPath('nats-server'),
    '/usr/local/bin/node': process.execPath,
  };
  // Every stage's WORKDIR: the project's images keep the app under it (COPY ... /app/).
  const mapPath = (p: string, workdir: string) => {
    if (workdir === '/' || !workdir) return p;
    if (p === workdir) return root;
    if (p.startsWith(workdir + '/')) return path.join(root, p.slice(workdir.length + 1));
    return p;
  };
  const parseUser = (user: string | undefined): { uid: number; gid: number } | undefined => {
    if (!user) return undefined;
    const [u, g] = user.split(':');
    // Names (not numbers) would need the image's /etc/passwd: left to the pod's securityContext.
    if (!/^\d+$/.test(u) || (g !== undefined && !/^\d+$/.test(g))) return undefined;
    return { uid: Number(u), gid: Number(g ?? 0) };
  };
  return {
    entry(image: string): ProjectImageEntry | null {
      const repo = repository(image);
      const project = /(?:^|\/)ticketcd\/([^/]+)$/.exec(repo);
      if (project) {
        const stage = stages.get(project[1]);
        if (!stage) return null;
        let entrypoint = stage.entrypoint;
        // tini only forwards signals and reaps: the runtime signals the program itself.
        if (entrypoint.length && path.posix.basename(entrypoint[0]) === 'tini') {
          entrypoint = entrypoint.slice(1);
          if (entrypoint[0] === '--') entrypoint = entrypoint.slice(1);
        }
        const env = Object.fromEntries(Object.entries(stage.env).map(([k, v]) => [k, mapPath(v, stage.workdir)]));
        return {
          entrypoint,
          cmd: [...stage.cmd],
          workdir: mapPath(stage.workdir, stage.workdir),
          env,
          user: parseUser(stage.user),
        };
      }
      if (/(?:^|\/)etcd-development\/etcd$/.test(repo) || /(?:^|\/)coreos\/etcd$/.test(repo)) {
        // The etcd release image: no ENTRYPOINT, CMD /usr/local/bin/etcd, runs as root unless told.
        return { entrypoint: [], cmd: ['/usr/local/bin/etcd'], workdir: '/' };
      }
      if (/^(?:docker\.io\/)?(?:library\/)?nats$/.test(repo)) {
        // nats:*-alpine: docker-entrypoint.sh only execs its arguments; CMD nats-server --config ...
        return { entrypoint: [], cmd: ['nats-server', '--config', '/etc/nats/nats-server.conf'], workdir: '/' };
      }
      return null;
    },
    program(p: string): string {
      return programs[p] ?? p;
    },
  };
}
