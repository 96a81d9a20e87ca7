/** Which seed and anchor a run uses: the flag, else the config, else the default (seed 1, today's UTC midnight). */
import { CliError } from '../output.js';
import { anchorMs, anchorSpec, type DataConfig, todayUtcMidnight } from './config.js';

export const DEFAULT_SEED = 1;

export function resolveSeed(flag: string | undefined, config: DataConfig): number {
  if (flag === undefined) return config.seed ?? DEFAULT_SEED;
  const n = /^\d{1,16}$/.test(flag) ? Number(flag) : NaN;
  if (!Number.isSafeInteger(n)) throw new CliError(`--seed: must be a whole number >= 0 (got ${JSON.stringify(flag)})`, 2);
  return n;
}

/** The anchor as an ISO date-time. */
export function resolveAnchor(flag: string | undefined, config: DataConfig, now = Date.now()): string {
  if (flag !== undefined && !anchorSpec.safeParse(flag).success) {
    throw new CliError(
      `--anchor: must be an ISO date like 2027-01-31 or date-time like 2027-01-31T00:00:00Z (got ${JSON.stringify(flag)})`,
      2,
    );
  }
  const spec = flag ?? config.anchor;
  return spec === undefined ? todayUtcMidnight(now) : new Date(anchorMs(spec)).toISOString();
}
