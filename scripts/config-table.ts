// The README's configuration table, rendered from the variables' declarations in src/config.ts.
// `npm run docs:config` writes it into README.md between its markers; test/unit/env-example.test.ts fails
// when the README holds anything else there.
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { configDocRows } from '../src/config';

export const TABLE_START = '<!-- config-table:start -->';
export const TABLE_END = '<!-- config-table:end -->';
export const README = path.resolve(__dirname, '..', 'README.md');

function tableLine(cells: readonly string[]): string {
  // A "|" inside a cell would end it early in Markdown.
  return `|${cells.map((c) => (c === '' ? ' ' : ` ${c.replace(/\|/g, '\\|')} `)).join('|')}|`;
}

export function renderConfigTable(): string {
  return [
    tableLine(['variable', 'required', 'default', 'meaning']),
    tableLine(['---', '---', '---', '---']),
    ...configDocRows().map((r) => tableLine([`\`${r.variable}\``, r.required, r.default, r.meaning])),
  ].join('\n');
}

/** What lies between the markers (without the newlines next to them); undefined without both markers. */
export function tableInReadme(readme: string): string | undefined {
  const start = readme.indexOf(TABLE_START);
  const end = readme.indexOf(TABLE_END);
  if (start === -1 || end < start) return undefined;
  return readme.slice(start + TABLE_START.length, end).replace(/^\n/, '').replace(/\n$/, '');
}

/** The README with the table between the markers replaced by the rendered one. */
export function withConfigTable(readme: string): string {
  const start = readme.indexOf(TABLE_START);
  const end = readme.indexOf(TABLE_END);
  if (start === -1 || end < start) throw new Error(`README.md has no ${TABLE_START} … ${TABLE_END} markers to write the table between`);
  return `${readme.slice(0, start + TABLE_START.length)}\n${renderConfigTable()}\n${readme.slice(end)}`;
}

if (require.main === module) {
  const before = readFileSync(README, 'utf8');
  const after = withConfigTable(before);
  if (after !== before) writeFileSync(README, after);
  process.stdout.write(after === before ? 'README.md: the configuration table is up to date\n' : 'README.md: configuration table rewritten\n');
}
