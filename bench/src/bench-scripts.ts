/**
 * Which benchmarks `npm run bench` runs (issue 18 point 5): every `bench:*` script of the root
 * package.json, read at run time so a new one cannot be left out, narrowed by --only / --skip.
 */

/** The `bench:*` script names, in package.json order. */
export function benchScripts(scripts: Readonly<Record<string, string>>): string[] {
  return Object.keys(scripts).filter((name) => name.startsWith('bench:'));
}

/** `inventory` and `bench:inventory` name the same script. */
const qualify = (name: string) => (name.startsWith('bench:') ? name : `bench:${name}`);

/**
 * The scripts to run: all of them, or only `only`, less `skip`. A name that is no bench:* script
 * is an error (a typo would otherwise run everything, or skip nothing, without a word).
 */
export function selectBenchScripts(all: readonly string[], opts: { only?: readonly string[]; skip?: readonly string[] } = {}): string[] {
  const only = (opts.only ?? []).map(qualify);
  const skip = (opts.skip ?? []).map(qualify);
  const unknown = [...only, ...skip].filter((n) => !all.includes(n));
  if (unknown.length) throw new Error(`no such benchmark: ${unknown.join(', ')} (there are: ${all.join(', ')})`);
  return all.filter((n) => (only.length === 0 || only.includes(n)) && !skip.includes(n));
}

/** Comma- or space-separated names from repeated --only/--skip flags. */
export const splitNames = (flags: readonly string[] | undefined): string[] =>
  (flags ?? []).flatMap((f) => f.split(/[\s,]+/)).filter(Boolean);
