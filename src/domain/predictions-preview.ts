// The first rows of a predictions file, for a small table in the thread. Batch deployments write CSV
// rows (append_row: one line per item, as run() returned it); we read only the first bytes, so the last
// line may be cut and is dropped. Cells are user content: the caller escapes them.

export interface PredictionsPreview {
  rows: string[][];
  /** More rows exist than are shown (or the read stopped early). */
  more: boolean;
}

export const PREVIEW_MAX_ROWS = 5;
export const PREVIEW_MAX_COLUMNS = 6;
export const PREVIEW_MAX_CELL_CHARS = 40;

/** RFC 4180 fields of one CSV text (quotes, doubled quotes, CRLF). */
export function parseCsvRows(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"' && field === '') quoted = true;
    else if (c === ',') {
      row.push(field);
      field = '';
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
    } else field += c;
  }
  if (field !== '' || row.length > 0) {
    row.push(field);
    rows.push(row);
  }
  return rows;
}

function cap(cell: string): string {
  const flat = cell.replace(/\s+/g, ' ');
  return flat.length > PREVIEW_MAX_CELL_CHARS ? `${flat.slice(0, PREVIEW_MAX_CELL_CHARS - 1)}…` : flat;
}

export function previewPredictions(head: { text: string; truncated: boolean }, maxRows = PREVIEW_MAX_ROWS): PredictionsPreview {
  let text = head.text;
  // A read cut mid-line: drop the partial last line.
  if (head.truncated) text = text.slice(0, Math.max(0, text.lastIndexOf('\n') + 1));
  const rows = parseCsvRows(text).filter((r) => r.some((c) => c.trim() !== ''));
  const shown = rows.slice(0, maxRows).map((r) => {
    const cells = r.slice(0, PREVIEW_MAX_COLUMNS).map(cap);
    return r.length > PREVIEW_MAX_COLUMNS ? [...cells, '…'] : cells;
  });
  return { rows: shown, more: head.truncated || rows.length > maxRows };
}
