/**
 * The data config of `ticketctl generate` (and `populate --config`): a YAML file with the report's
 * generator settings. Everything but the two counts has a default; unknown keys are refused so a
 * typo never silently falls back to a default. Every problem is reported with the path of the
 * field it is about (`ticketTypes[1].price.min: must be >= 0`), all at once.
 *
 * Prices are written in whole currency units (two decimals at most, 12.5 = 12.50) because that
 * is what people type; the dataset stores integer cents like the rest of the system.
 */
import { readFile } from 'node:fs/promises';
import { MAX_TICKET_TYPES, slug } from '@ticketcd/contracts';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { CliError } from '../output.js';

/** A config that does not parse or validate: one line per problem, each naming its field. Exit code 2. */
export class DataConfigError extends CliError {
  constructor(
    readonly source: string,
    readonly issues: string[],
  ) {
    super(`invalid data config${source ? ` ${source}` : ''}:\n${issues.map((i) => `  ${i}`).join('\n')}`, 2);
  }
}

const PROBABILITY = 'must be between 0 and 1';
const probability = z.number(PROBABILITY).min(0, PROBABILITY).max(1, PROBABILITY);
const count = (max: number) => z.number().int('must be a whole number').min(0, 'must be >= 0').max(max, `must be <= ${max}`);

/** An inclusive whole-number range; min <= max is checked with the other cross-field rules. */
const intRange = (lowest: number, highest: number, dflt: { min: number; max: number }) =>
  z
    .strictObject({
      min: z
        .number()
        .int('must be a whole number')
        .min(lowest, `must be >= ${lowest}`)
        .max(highest, `must be <= ${highest}`)
        .default(dflt.min),
      max: z
        .number()
        .int('must be a whole number')
        .min(lowest, `must be >= ${lowest}`)
        .max(highest, `must be <= ${highest}`)
        .default(dflt.max),
    })
    .prefault({});

/** Highest price, in currency units: the contracts' cents schema stops at 100,000,000 cents. */
const MAX_PRICE = 1_000_000;
const money = z
  .number()
  .min(0, 'must be >= 0')
  .max(MAX_PRICE, `must be <= ${MAX_PRICE}`)
  .refine((v) => Math.abs(v * 100 - Math.round(v * 100)) < 1e-6, 'must have at most two decimals (currency units, e.g. 12.5)');

/** `+7d`, `-2d`, `+12h`, `0d`: relative to the anchor. Absolute: an ISO date or date-time. */
export const RELATIVE_DATE = /^([+-]?)(\d{1,5})([dh])$/;
const isAbsoluteDate = (v: string) => /^\d{4}-\d{2}-\d{2}(T[\d:.]+(Z|[+-]\d{2}:\d{2})?)?$/.test(v) && !Number.isNaN(Date.parse(v));
const dateSpec = z
  .string('must be a date: an ISO date like 2027-01-31, or relative to the anchor like +7d or +12h')
  .refine(
    (v) => RELATIVE_DATE.test(v) || isAbsoluteDate(v),
    'must be an ISO date like 2027-01-31 (or 2027-01-31T20:00:00Z), or relative to the anchor like +7d, -1d, +12h',
  );
export const anchorSpec = z
  .string('must be an ISO date like 2027-01-31 or date-time like 2027-01-31T00:00:00Z')
  .refine(isAbsoluteDate, 'must be an ISO date like 2027-01-31 or date-time like 2027-01-31T00:00:00Z');

const ticketType = z.strictObject({
  name: slug,
  /** Currency units; drawn per event and stored in cents. */
  price: z.strictObject({ min: money, max: money }),
  /** Tickets of this type per event. */
  total: intRange(1, 1_000_000, { min: 50, max: 500 }),
});

const DEFAULT_LOCATIONS = ['lisbon', 'porto', 'braga', 'coimbra', 'faro'];
const DEFAULT_EVENT_TYPES = ['concert', 'theater', 'dance', 'magic', 'circus'];
const DEFAULT_TICKET_TYPES = [
  { name: 'pink', price: { min: 10, max: 30 }, total: { min: 50, max: 200 } },
  { name: 'blue', price: { min: 20, max: 50 }, total: { min: 50, max: 200 } },
  { name: 'green', price: { min: 40, max: 80 }, total: { min: 20, max: 100 } },
  { name: 'red', price: { min: 80, max: 150 }, total: { min: 10, max: 50 } },
];

export const dataConfigSchema = z
  .strictObject({
    /** Default seed; `--seed` overrides it, 1 when neither is given. */
    seed: z.number().int('must be a whole number').min(0, 'must be >= 0').max(Number.MAX_SAFE_INTEGER).optional(),
    /** Relative dates count from here; default (and `--anchor` overrides): today's UTC midnight. */
    anchor: anchorSpec.optional(),
    users: z.strictObject({
      count: count(1_000_000),
      adminProbability: probability.default(0.05),
    }),
    events: z.strictObject({
      count: count(100_000),
      dates: z.strictObject({ from: dateSpec.default('+3d'), to: dateSpec.default('+180d') }).prefault({}),
      /** Each event's maxPerOrder is one of these. */
      maxPerOrder: z
        .array(z.number().int('must be a whole number').min(1, 'must be >= 1').max(100, 'must be <= 100'))
        .min(1, 'must list at least one value')
        .default([2, 4, 6, 8, 10]),
      ticketTypesPerEvent: intRange(1, MAX_TICKET_TYPES, { min: 1, max: 3 }),
    }),
    locations: z.array(slug).min(1, 'must list at least one location').default(DEFAULT_LOCATIONS),
    eventTypes: z.array(slug).min(1, 'must list at least one event type').default(DEFAULT_EVENT_TYPES),
    ticketTypes: z.array(ticketType).min(1, 'must list at least one ticket type').default(DEFAULT_TICKET_TYPES),
    favourites: z
      .strictObject({
        /** Chance that a user favours any event at all. */
        probability: probability.default(0.3),
        /** How many events a favouring user favours (capped at the number of events). */
        perUser: intRange(1, 10_000, { min: 1, max: 3 }),
      })
      .prefault({}),
    notifications: z
      .strictObject({
        /** Chance that a user subscribes to low-stock alerts. */
        probability: probability.default(0.2),
        /** Subscriptions of a subscribing user (capped at the number of events). */
        perUser: intRange(1, 10_000, { min: 1, max: 2 }),
        /** Alert when the event's remaining tickets fall to this. */
        limit: intRange(1, 1_000_000, { min: 5, max: 50 }),
      })
      .prefault({}),
    purchases: z
      .strictObject({
        /** Orders each user places. */
        perUser: intRange(0, 1_000, { min: 0, max: 2 }),
        /** Ticket types per order (capped at the event's types and its maxPerOrder). */
        linesPerOrder: intRange(1, MAX_TICKET_TYPES, { min: 1, max: 2 }),
        /** Tickets per line; an order's total never exceeds its event's maxPerOrder. */
        quantityPerLine: intRange(1, 100, { min: 1, max: 4 }),
      })
      .prefault({}),
  })
  .superRefine((c, ctx) => {
    const issue = (path: (string | number)[], message: string) => ctx.addIssue({ code: 'custom', path, message });
    const range = (path: (string | number)[], r: { min: number; max: number }) => {
      if (r.min > r.max) issue([...path, 'max'], `must be >= min (${r.min})`);
    };
    const unique = (path: string, values: string[]) => {
      const seen = new Set<string>();
      values.forEach((v, i) => {
        if (seen.has(v)) issue([path, i], `duplicate "${v}"`);
        seen.add(v);
      });
    };
    range(['events', 'ticketTypesPerEvent'], c.events.ticketTypesPerEvent);
    if (c.events.ticketTypesPerEvent.min > c.ticketTypes.length) {
      issue(['events', 'ticketTypesPerEvent', 'min'], `must be <= the number of ticketTypes (${c.ticketTypes.length})`);
    }
    c.ticketTypes.forEach((t, i) => {
      range(['ticketTypes', i, 'price'], t.price);
      range(['ticketTypes', i, 'total'], t.total);
    });
    unique('locations', c.locations);
    unique('eventTypes', c.eventTypes);
    c.ticketTypes.forEach((t, i) => {
      if (c.ticketTypes.findIndex((o) => o.name === t.name) !== i) issue(['ticketTypes', i, 'name'], `duplicate "${t.name}"`);
    });
    range(['favourites', 'perUser'], c.favourites.perUser);
    range(['notifications', 'perUser'], c.notifications.perUser);
    range(['notifications', 'limit'], c.notifications.limit);
    range(['purchases', 'perUser'], c.purchases.perUser);
    range(['purchases', 'linesPerOrder'], c.purchases.linesPerOrder);
    range(['purchases', 'quantityPerLine'], c.purchases.quantityPerLine);
    const { from, to } = c.events.dates;
    // Mixed absolute/relative bounds depend on the anchor: generateDataset checks those.
    const fromRel = RELATIVE_DATE.test(from);
    if (fromRel === RELATIVE_DATE.test(to) && offsetMs(from, 0) > offsetMs(to, 0)) {
      issue(['events', 'dates', 'to'], `must not be before from (${from})`);
    }
  });

export type DataConfig = z.output<typeof dataConfigSchema>;
export type DataConfigInput = z.input<typeof dataConfigSchema>;

/** A date spec as epoch ms: relative ones measured from `anchorMs`. */
export function offsetMs(spec: string, anchorMs: number): number {
  const m = RELATIVE_DATE.exec(spec);
  if (!m) return Date.parse(isDateOnly(spec) ? `${spec}T00:00:00Z` : spec);
  const n = Number(m[2]) * (m[3] === 'd' ? 86_400_000 : 3_600_000);
  return anchorMs + (m[1] === '-' ? -n : n);
}

const isDateOnly = (v: string) => /^\d{4}-\d{2}-\d{2}$/.test(v);

/** Epoch ms of an anchor spec; a bare date is that day's UTC midnight. */
export const anchorMs = (spec: string): number => offsetMs(spec, 0);

/** Today's UTC midnight: the default anchor, so a day's runs agree and relative dates stay in the future. */
export const todayUtcMidnight = (now = Date.now()): string => new Date(now - (now % 86_400_000)).toISOString();

/** `users.count`, `ticketTypes[1].price.min`: the path as it is written in the YAML. */
export function fieldPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const p of path) out += typeof p === 'number' ? `[${p}]` : out ? `.${String(p)}` : String(p);
  return out || '(config)';
}

const typeName = (expected: string) => (expected === 'object' ? 'a mapping' : expected === 'array' ? 'a list' : `a ${expected}`);

/** One line per zod issue, naming the field; unknown keys are one line each. */
export function formatIssues(error: z.ZodError): string[] {
  const lines: string[] = [];
  for (const i of error.issues) {
    if (i.code === 'unrecognized_keys') {
      for (const k of i.keys) lines.push(`${fieldPath([...i.path, k])}: unknown field`);
    } else if (i.code === 'invalid_type' && i.input === undefined) {
      lines.push(`${fieldPath(i.path)}: is required`);
    } else if (i.code === 'invalid_type' && !/^must /.test(i.message)) {
      lines.push(`${fieldPath(i.path)}: must be ${typeName(i.expected)}`);
    } else {
      lines.push(`${fieldPath(i.path)}: ${i.message}`);
    }
  }
  return lines;
}

/** Validate an already parsed config object (e.g. from a test). Throws DataConfigError. */
export function parseDataConfig(raw: unknown, source = 'config'): DataConfig {
  const r = dataConfigSchema.safeParse(raw ?? {}, { reportInput: true });
  if (!r.success) throw new DataConfigError(source, formatIssues(r.error));
  return r.data;
}

/** Parse YAML text and validate it. Throws DataConfigError (YAML syntax errors name line and column). */
export function parseDataConfigYaml(text: string, source = 'config'): DataConfig {
  let raw: unknown;
  try {
    raw = parseYaml(text, { prettyErrors: true });
  } catch (e) {
    throw new DataConfigError(source, [`YAML: ${(e as Error).message.split('\n')[0]}`]);
  }
  if (raw !== null && raw !== undefined && (typeof raw !== 'object' || Array.isArray(raw))) {
    throw new DataConfigError(source, ['(config): must be a mapping of settings']);
  }
  return parseDataConfig(raw, source);
}

/** Read and validate a data config file: what `generate --config` and `populate --config` use. */
export async function loadDataConfig(file: string): Promise<DataConfig> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    throw new CliError(`cannot read data config ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, 2);
  }
  return parseDataConfigYaml(text, file);
}
