/**
 * Issue 16 point 1: the data config is validated, and a bad one gets one message per problem
 * that names the field (acceptance: "a bad config names the bad field"); the shipped examples parse.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DataConfigError, parseDataConfig, parseDataConfigYaml } from './config.js';
import { resolveAnchor, resolveSeed } from './resolve.js';

const ROOT = join(import.meta.dirname, '../../../../..');

/** The issues a config gets, or [] when it is valid. */
function issuesOf(raw: unknown): string[] {
  try {
    parseDataConfig(raw);
    return [];
  } catch (e) {
    if (!(e instanceof DataConfigError)) throw e;
    return e.issues;
  }
}

const minimal = { users: { count: 10 }, events: { count: 10 } };

describe('data config', () => {
  it.each(['report.yaml', 'demo.yaml', '10k.yaml', '100k.yaml'])('parses the example data/%s', (name) => {
    const c = parseDataConfigYaml(readFileSync(join(ROOT, 'data', name), 'utf8'), name);
    expect(c.users.count).toBeGreaterThan(0);
    expect(c.events.count).toBeGreaterThan(0);
  });

  it('fills defaults for everything but the counts', () => {
    const c = parseDataConfig(minimal);
    expect(c.users.adminProbability).toBe(0.05);
    expect(c.events.dates).toEqual({ from: '+3d', to: '+180d' });
    expect(c.events.ticketTypesPerEvent).toEqual({ min: 1, max: 3 });
    expect(c.ticketTypes.map((t) => t.name)).toEqual(['pink', 'blue', 'green', 'red']);
    expect(c.locations).toContain('lisbon');
    expect(c.eventTypes).toEqual(['concert', 'theater', 'dance', 'magic', 'circus']);
    expect(c.favourites).toEqual({ probability: 0.3, perUser: { min: 1, max: 3 } });
    expect(c.notifications.limit).toEqual({ min: 5, max: 50 });
    expect(c.purchases).toEqual({ perUser: { min: 0, max: 2 }, linesPerOrder: { min: 1, max: 2 }, quantityPerLine: { min: 1, max: 4 } });
    expect(c.seed).toBeUndefined();
    // A partly given range keeps the other bound's default.
    expect(parseDataConfig({ ...minimal, purchases: { perUser: { max: 5 } } }).purchases.perUser).toEqual({ min: 0, max: 5 });
  });

  it('requires the counts, by name', () => {
    expect(issuesOf({})).toEqual(['users: is required', 'events: is required']);
    expect(issuesOf({ users: {}, events: { count: 1 } })).toEqual(['users.count: is required']);
  });

  it('names the field of a bad value', () => {
    expect(
      issuesOf({
        ...minimal,
        ticketTypes: [
          { name: 'pink', price: { min: 1, max: 2 } },
          { name: 'blue', price: { min: -1, max: 2 } },
        ],
      }),
    ).toEqual(['ticketTypes[1].price.min: must be >= 0']);
    expect(issuesOf({ users: { count: 10, adminProbability: 1.5 }, events: { count: 1 } })).toEqual([
      'users.adminProbability: must be between 0 and 1',
    ]);
    expect(issuesOf({ users: { count: 'ten' }, events: { count: 2.5 } })).toEqual([
      'users.count: must be a number',
      'events.count: must be a whole number',
    ]);
    expect(issuesOf({ ...minimal, ticketTypes: [{ name: 'pink', price: { min: 1.234, max: 2 } }] })).toEqual([
      'ticketTypes[0].price.min: must have at most two decimals (currency units, e.g. 12.5)',
    ]);
    expect(issuesOf({ ...minimal, notifications: { limit: { min: 0 } } })).toEqual(['notifications.limit.min: must be >= 1']);
    expect(issuesOf({ ...minimal, events: { count: 1, maxPerOrder: [2, 101] } })).toEqual(['events.maxPerOrder[1]: must be <= 100']);
    expect(issuesOf({ ...minimal, events: { count: 1, dates: { from: 'next week' } } })[0]).toMatch(
      /^events\.dates\.from: must be an ISO date/,
    );
    expect(issuesOf({ ...minimal, locations: 'lisbon' })).toEqual(['locations: must be a list']);
  });

  it('refuses unknown keys (a typo never falls back to a default)', () => {
    expect(issuesOf({ ...minimal, favorites: { probability: 1 } })).toEqual(['favorites: unknown field']);
    expect(issuesOf({ users: { count: 1, adminProbabilty: 0.5 }, events: { count: 1 } })).toEqual(['users.adminProbabilty: unknown field']);
    expect(issuesOf({ ...minimal, ticketTypes: [{ name: 'pink', price: { min: 1, max: 2, currency: 'EUR' } }] })).toEqual([
      'ticketTypes[0].price.currency: unknown field',
    ]);
  });

  it('checks slugs and uniqueness of the static lists and ticket type names', () => {
    expect(issuesOf({ ...minimal, locations: ['lisbon', 'Porto', 'lisbon'], eventTypes: ['rock:n:roll'] })).toEqual([
      'locations[1]: must be 1-32 characters of a-z, 0-9 and - (no ":" or "/")',
      'eventTypes[0]: must be 1-32 characters of a-z, 0-9 and - (no ":" or "/")',
      'locations[2]: duplicate "lisbon"',
    ]);
    expect(issuesOf({ ...minimal, locations: ['lisbon', 'porto', 'lisbon'] })).toEqual(['locations[2]: duplicate "lisbon"']);
    expect(
      issuesOf({
        ...minimal,
        ticketTypes: [
          { name: 'pink', price: { min: 1, max: 2 } },
          { name: 'pink', price: { min: 1, max: 2 } },
          { name: 'VIP', price: { min: 1, max: 2 } },
        ],
      }),
    ).toEqual(['ticketTypes[2].name: must be 1-32 characters of a-z, 0-9 and - (no ":" or "/")', 'ticketTypes[1].name: duplicate "pink"']);
    expect(
      issuesOf({
        ...minimal,
        ticketTypes: [
          { name: 'pink', price: { min: 1, max: 2 } },
          { name: 'pink', price: { min: 1, max: 2 } },
        ],
      }),
    ).toEqual(['ticketTypes[1].name: duplicate "pink"']);
  });

  it('checks min <= max and the other cross-field rules, reporting all problems at once', () => {
    expect(
      issuesOf({
        users: { count: 1 },
        events: { count: 1, ticketTypesPerEvent: { min: 3, max: 2 }, dates: { from: '+30d', to: '+1d' } },
        ticketTypes: [{ name: 'pink', price: { min: 5, max: 1 }, total: { min: 10, max: 9 } }],
        favourites: { perUser: { min: 4, max: 2 } },
        purchases: { quantityPerLine: { min: 5, max: 1 } },
      }),
    ).toEqual([
      'events.ticketTypesPerEvent.max: must be >= min (3)',
      'events.ticketTypesPerEvent.min: must be <= the number of ticketTypes (1)',
      'ticketTypes[0].price.max: must be >= min (5)',
      'ticketTypes[0].total.max: must be >= min (10)',
      'favourites.perUser.max: must be >= min (4)',
      'purchases.quantityPerLine.max: must be >= min (5)',
      'events.dates.to: must not be before from (+30d)',
    ]);
  });

  it('reads unquoted YAML dates and relative dates as written', () => {
    const c = parseDataConfigYaml('anchor: 2027-01-01\nusers: {count: 1}\nevents: {count: 1, dates: {from: +7d, to: 2027-03-01}}\n');
    expect(c.anchor).toBe('2027-01-01');
    expect(c.events.dates).toEqual({ from: '+7d', to: '2027-03-01' });
  });

  it('reports YAML syntax errors and a non-mapping document', () => {
    expect(() => parseDataConfigYaml('users: [count: 1', 'x.yaml')).toThrow(/invalid data config x\.yaml:\n {2}YAML: /);
    expect(() => parseDataConfigYaml('- 1\n- 2\n', 'x.yaml')).toThrow(/\(config\): must be a mapping/);
    expect(() => parseDataConfigYaml('users: {count: 1}\nusers: {count: 2}\nevents: {count: 1}\n')).toThrow(/YAML: .*[Dd]uplicate|unique/);
  });

  it('formats the error for the CLI: one issue per line, exit code 2', () => {
    try {
      parseDataConfigYaml('users: {count: -1}\nevents: {count: 1, bogus: 2}\n', 'data/bad.yaml');
      throw new Error('expected a DataConfigError');
    } catch (e) {
      expect(e).toBeInstanceOf(DataConfigError);
      expect((e as DataConfigError).exitCode).toBe(2);
      expect((e as Error).message).toBe('invalid data config data/bad.yaml:\n  users.count: must be >= 0\n  events.bogus: unknown field');
    }
  });
});

describe('seed and anchor', () => {
  const c = parseDataConfig(minimal);
  const seeded = parseDataConfig({ ...minimal, seed: 42, anchor: '2027-02-03' });

  it('takes the flag over the config over the default', () => {
    expect(resolveSeed(undefined, c)).toBe(1);
    expect(resolveSeed(undefined, seeded)).toBe(42);
    expect(resolveSeed('7', seeded)).toBe(7);
    expect(() => resolveSeed('-1', c)).toThrow(/--seed: must be a whole number/);
    expect(() => resolveSeed('1.5', c)).toThrow(/--seed/);
    expect(resolveAnchor(undefined, c, Date.parse('2026-11-26T23:59:00Z'))).toBe('2026-11-26T00:00:00.000Z');
    expect(resolveAnchor(undefined, seeded)).toBe('2027-02-03T00:00:00.000Z');
    expect(resolveAnchor('2027-05-01T12:00:00Z', seeded)).toBe('2027-05-01T12:00:00.000Z');
    expect(() => resolveAnchor('tomorrow', c)).toThrow(/--anchor: must be an ISO date/);
  });

  it('validates seed and anchor in the config, by name', () => {
    expect(issuesOf({ ...minimal, seed: -3, anchor: 'soon' })).toEqual([
      'seed: must be >= 0',
      'anchor: must be an ISO date like 2027-01-31 or date-time like 2027-01-31T00:00:00Z',
    ]);
  });
});
