// Aligned columns for terminals, the way `kubectl get` and `az … -o table` print them: an upper-case
// header, columns padded to their widest cell and separated by two spaces, the last column unpadded (so
// long URIs do not drag trailing spaces). Widths count code points, so "…" is one column.
export interface Column<Row> {
  header: string;
  value: (row: Row) => string | undefined;
}

const width = (s: string): number => [...s].length;
/** A cell is one line: newlines and tabs would break the alignment of every row after it. */
const cell = (s: string | undefined): string => (s === undefined || s === '' ? '-' : s.replace(/[\r\n\t]+/g, ' '));

export function renderTable<Row>(columns: readonly Column<Row>[], rows: readonly Row[]): string {
  const cells = [columns.map((c) => c.header.toUpperCase()), ...rows.map((r) => columns.map((c) => cell(c.value(r))))];
  const widths = columns.map((_, i) => Math.max(...cells.map((line) => width(line[i] as string))));
  return cells
    .map((line) =>
      line
        .map((text, i) => (i === line.length - 1 ? text : text + ' '.repeat((widths[i] as number) - width(text))))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

/** `key: value` lines with the values aligned; undefined values are left out. */
export function renderFields(fields: readonly [string, string | undefined][]): string {
  const shown = fields.filter((f): f is [string, string] => f[1] !== undefined && f[1] !== '');
  const keyWidth = Math.max(0, ...shown.map(([k]) => width(k) + 1));
  return shown.map(([k, v]) => `${`${k}:`.padEnd(keyWidth)}  ${v}`).join('\n');
}
