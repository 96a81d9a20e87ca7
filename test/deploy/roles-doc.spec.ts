/**
 * Issue 15: docs/architecture.md shows the role table generated from roles.ts; this fails when
 * the page is stale (fix: npm run docs:roles).
 */
import { BEGIN, CHART_ROLES_FILE, END, renderRolesFile, renderRolesTable, withRolesTable } from '@ticketcd/deploy';
import { NAMESPACES } from '@ticketcd/keys';
import fs from 'node:fs';
import path from 'node:path';

const page = fs.readFileSync(path.join(process.cwd(), 'docs/architecture.md'), 'utf8');

describe('the roles table in docs/architecture.md (issue 15)', () => {
  it('is current (npm run docs:roles regenerates it)', () => {
    expect(withRolesTable(page)).toBe(page);
  });

  it('a stale table is caught', () => {
    const stale = page.replace(`| \`orders\``, `| \`orders\` | \`${NAMESPACES.alert}\``);
    expect(stale).not.toBe(page);
    expect(withRolesTable(stale)).not.toBe(stale);
  });

  it('has one row per service between the markers', () => {
    const table = page.slice(page.indexOf(BEGIN) + BEGIN.length, page.indexOf(END)).trim();
    expect(table).toBe(renderRolesTable());
    expect(table.split('\n')).toHaveLength(2 + 6);
  });
});

describe("the role table in the chart (issue 29.1: the etcd-auth Job's name hashes it)", () => {
  it('is current (npm run chart:roles regenerates it)', () => {
    expect(fs.readFileSync(path.join(process.cwd(), CHART_ROLES_FILE), 'utf8')).toBe(renderRolesFile());
  });
});
