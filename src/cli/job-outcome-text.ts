// The CLI's form of a finished job's triage or results (the Slack reply's sections, as terminal text):
// counts, the first log lines, the fix, the first rows of the predictions, and where to download them.
import type { JobOutcomeView } from '../usecases/job-outcome-view';
import { renderTable } from './text-table';

/** Terminal text cannot ping anyone, but control characters could rewrite the screen: strip them. */
const printable = (s: string): string => s.replace(/[\u0000-\u0008\u000b-\u001f\u007f\u009b]/g, '');

export function jobOutcomeText(d: JobOutcomeView): string {
  const status = d.status;
  const lines: string[] = [];
  const p = d.progress;
  if (p) {
    const items = p.itemsSucceeded !== undefined ? `${p.itemsSucceeded} items scored, ${p.itemsFailed ?? 0} failed, ` : '';
    lines.push(`Progress:    ${items}${p.miniBatchesDone} of ${p.miniBatchesTotal} mini-batches`);
  }
  if (d.triage && d.triage.errorLines.length > 0) {
    lines.push('From the job\'s logs:', ...d.triage.errorLines.map((l) => `  ${printable(l)}`));
  }
  if (d.triage?.fix) lines.push(`Fix:         ${d.triage.fix}`);
  if (status === 'Completed' && d.preview && d.preview.rows.length > 0) {
    const width = Math.max(...d.preview.rows.map((r) => r.length));
    const columns = Array.from({ length: width }, (_, i) => ({ header: `col${i + 1}`, value: (r: string[]) => printable(r[i] ?? '') }));
    lines.push('First rows of the predictions:', ...renderTable(columns, d.preview.rows).split('\n').map((l) => `  ${l}`));
    if (d.preview.more) lines.push('  …');
  }
  if (status === 'Completed' && d.outputFile) lines.push(`Download:    batch-score download <job> [--to DIR]`);
  return lines.join('\n');
}
