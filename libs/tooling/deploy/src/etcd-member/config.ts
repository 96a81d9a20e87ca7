/**
 * Issue 28.1: where each member lives (URL templates per ordinal) and the etcd config file that
 * `prepare` writes (etcd --config-file; all flags go there: etcd ignores command-line flags when
 * it is given one). Pure functions.
 */
import type { MemberInfo } from './decide.js';

export interface Layout {
  /** The StatefulSet's name: member i is `<prefix>-<i>`. */
  prefix: string;
  /** The pod's namespace, for `{namespace}` in the templates. */
  namespace?: string;
  /** URL templates: `{name}`, `{namespace}`, `{ordinal}`, and `{port:N}` = N + ordinal (local tests). */
  peerUrl: string;
  clientUrl: string;
  listenPeerUrl: string;
  listenClientUrl: string;
  /** Ordinals probed to find a running cluster (the chart allows up to 9 members). */
  maxOrdinal: number;
}

export const memberName = (layout: Layout, ordinal: number): string => `${layout.prefix}-${ordinal}`;

export function expand(template: string, layout: Layout, ordinal: number): string {
  return template
    .replaceAll('{name}', memberName(layout, ordinal))
    .replaceAll('{ordinal}', String(ordinal))
    .replaceAll('{namespace}', layout.namespace ?? '')
    .replace(/\{port:(\d+)\}/g, (_, base: string) => String(Number(base) + ordinal));
}

export const peerUrlOf = (layout: Layout, ordinal: number) => expand(layout.peerUrl, layout, ordinal);
export const clientUrlOf = (layout: Layout, ordinal: number) => expand(layout.clientUrl, layout, ordinal);

/** The ordinal of `<prefix>-<n>`; throws on another name (the pod's name decides everything). */
export function ordinalOfName(layout: Layout, name: string): number {
  const m = new RegExp(`^${layout.prefix.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}-(\\d+)$`).exec(name);
  if (!m) throw new Error(`member name "${name}" is not <${layout.prefix}>-<ordinal>`);
  return Number(m[1]);
}

/** The ordinal whose peer URL a member has, or null (a member not of this StatefulSet). */
export function ordinalOfMember(layout: Layout, m: Pick<MemberInfo, 'peerUrls'>): number | null {
  for (let i = 0; i < Math.max(layout.maxOrdinal, 16); i++) if (m.peerUrls.includes(peerUrlOf(layout, i))) return i;
  return null;
}

/** `name=peer,...` for etcd's initial-cluster: from the members (unstarted ones named by ordinal). */
export function initialClusterOf(layout: Layout, members: Pick<MemberInfo, 'id' | 'name' | 'peerUrls'>[]): string {
  return members
    .map((m) => {
      const ordinal = ordinalOfMember(layout, m);
      const name = m.name || (ordinal !== null ? memberName(layout, ordinal) : `member-${m.id}`);
      return m.peerUrls.map((u) => `${name}=${u}`).join(',');
    })
    .join(',');
}

export const bootstrapCluster = (layout: Layout, size: number): string =>
  Array.from({ length: size }, (_, i) => `${memberName(layout, i)}=${peerUrlOf(layout, i)}`).join(',');

/**
 * `--flag=value` arguments (the chart's etcd.extraArgs) as config-file keys: etcd's config keys
 * are its flag names. Numbers and booleans are typed, as etcd's YAML decoder expects.
 */
export function flagsToConfig(args: string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const a of args) {
    const m = /^--([a-z0-9-]+)(?:=(.*))?$/.exec(a);
    if (!m) throw new Error(`extra etcd argument "${a}" is not --flag=value`);
    const raw = m[2] ?? 'true';
    out[m[1]!] = raw === 'true' ? true : raw === 'false' ? false : /^-?\d+$/.test(raw) ? Number(raw) : raw;
  }
  return out;
}

/** Keys prepare owns: a base config or extra argument must not set them. */
export const MEMBER_KEYS = [
  'name',
  'data-dir',
  'listen-peer-urls',
  'listen-client-urls',
  'initial-advertise-peer-urls',
  'advertise-client-urls',
  'initial-cluster',
  'initial-cluster-state',
  'initial-cluster-token',
] as const;

export interface MemberConfigInput {
  layout: Layout;
  ordinal: number;
  dataDir: string;
  token: string;
  state: 'new' | 'existing';
  initialCluster: string;
  /** The rest of etcd's configuration (the chart's ConfigMap), then the extra arguments. */
  base: Record<string, unknown>;
  extra: Record<string, unknown>;
}

export function memberConfig(input: MemberConfigInput): Record<string, unknown> {
  const { layout, ordinal } = input;
  const owned = [...Object.keys(input.base), ...Object.keys(input.extra)].filter((k) => (MEMBER_KEYS as readonly string[]).includes(k));
  if (owned.length) throw new Error(`etcd config: ${owned.join(', ')} are set per member by etcd-member prepare, not in the base config`);
  return {
    ...input.base,
    ...input.extra,
    name: memberName(layout, ordinal),
    'data-dir': input.dataDir,
    'listen-peer-urls': expand(layout.listenPeerUrl, layout, ordinal),
    'listen-client-urls': expand(layout.listenClientUrl, layout, ordinal),
    'initial-advertise-peer-urls': peerUrlOf(layout, ordinal),
    'advertise-client-urls': clientUrlOf(layout, ordinal),
    'initial-cluster': input.initialCluster,
    'initial-cluster-state': input.state,
    'initial-cluster-token': input.token,
  };
}
