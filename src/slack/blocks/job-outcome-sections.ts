// The sections a job's final reply and `status <job>` add after the job ends: for a failure, what
// went wrong (the first meaningful log lines, quoted), how many mini-batches and items failed, the fix in
// one sentence and a link to the logs in the studio; for a completion, how many items were scored and
// failed, the first rows of the predictions as a small table, and a time-limited download link.
// Log lines and prediction cells are user content: every one is escaped here.
import type { KnownBlock } from '@slack/types';
import type { JobOutcomeView } from '../../usecases/job-outcome-view';
import { code, escapeMrkdwn, link, truncateEscaped } from '../mrkdwn';
import { context, message, section, SLACK_LIMITS, type SlackMessage } from './block-kit';
import { slackDate } from './time-text';

/** "4 items scored, 1 failed · 2 of 2 mini-batches": escaped mrkdwn, or undefined without counts. */
export function jobCountsLine(p: JobOutcomeView['progress']): string | undefined {
  if (!p) return undefined;
  const parts: string[] = [];
  if (p.itemsSucceeded !== undefined) parts.push(`*${p.itemsSucceeded}* item${p.itemsSucceeded === 1 ? '' : 's'} scored, *${p.itemsFailed ?? 0}* failed`);
  parts.push(`${p.miniBatchesDone} of ${p.miniBatchesTotal} mini-batches`);
  return parts.join(' · ');
}

/** A monospace table; cells escaped, backticks removed so nothing can close the block early. */
export function previewTable(rows: readonly string[][]): string {
  const clean = rows.map((r) => r.map((c) => escapeMrkdwn(c.replace(/`/g, "'"))));
  // Rows may differ in length (a ragged CSV): each column is as wide as its widest cell in any row.
  const widths: number[] = [];
  for (const r of clean) r.forEach((c, i) => (widths[i] = Math.max(widths[i] ?? 0, [...c].length)));
  const lines = clean.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c + ' '.repeat(Math.max(0, (widths[i] ?? 0) - [...c].length)))).join('  '));
  return `\`\`\`${lines.join('\n')}\`\`\``;
}

function quoted(lines: readonly string[]): string {
  const body = lines.map((l) => `> ${escapeMrkdwn(l.replace(/`/g, "'"))}`).join('\n');
  return truncateEscaped(body, SLACK_LIMITS.sectionText - 100);
}

export interface JobOutcomeBlockOptions {
  /**
   * The reply is the completed-with-failed-items one: its headline already says the item counts (said
   * once), and the logs link is shown even when the counts came from the job rather than its logs.
   */
  completedWithFailures?: boolean;
}

export function jobOutcomeBlocks(view: JobOutcomeView, opts: JobOutcomeBlockOptions = {}): KnownBlock[] {
  const blocks: KnownBlock[] = [];
  const counts = jobCountsLine(view.progress);
  const anyFailed = opts.completedWithFailures === true || (view.progress?.itemsFailed ?? 0) > 0;
  if (view.status === 'Completed') {
    if (counts && !opts.completedWithFailures) blocks.push(section(`:bar_chart: ${counts}`));
    if (view.preview && view.preview.rows.length > 0) {
      blocks.push(section(`*First rows of the predictions*${view.outputFile ? ` (${code(view.outputFile)})` : ''}\n${previewTable(view.preview.rows)}`));
    }
    if (view.link) {
      blocks.push(context([`:arrow_down: ${link(view.link.url, 'Download the predictions')} · link expires ${slackDate(view.link.expiresOn)}`]));
    }
  } else if (counts && (view.status === 'Failed' || anyFailed)) {
    blocks.push(section(`:bar_chart: ${counts}`));
  }
  const triage = view.triage;
  if (triage && (triage.errorLines.length > 0 || triage.fix)) {
    if (triage.errorLines.length > 0) blocks.push(section(`*From the job's logs*\n${quoted(triage.errorLines)}`));
    if (triage.fix) blocks.push(section(`:wrench: ${escapeMrkdwn(triage.fix)}`));
  }
  if (view.logsUrl && (view.status !== 'Completed' || anyFailed)) {
    blocks.push(context([`${link(view.logsUrl, 'Logs in Azure ML studio')} (Outputs + logs: logs/user/error, logs/job_progress_overview.txt)`]));
  }
  return blocks;
}

/** A reply with the outcome sections appended (within Slack's block limit). */
export function withJobOutcome(reply: SlackMessage, view: JobOutcomeView, opts: JobOutcomeBlockOptions = {}): SlackMessage {
  const extra = jobOutcomeBlocks(view, opts);
  if (extra.length === 0) return reply;
  return message(reply.text, [...reply.blocks, ...extra].slice(0, SLACK_LIMITS.messageBlocks));
}

/** The running job's status line with its progress under it ("2 of 3 mini-batches · 4 items scored, 0 failed"). */
export function withProgress(statusLine: SlackMessage, progress: JobOutcomeView['progress']): SlackMessage {
  const counts = jobCountsLine(progress);
  if (!counts) return statusLine;
  return message(statusLine.text, [...statusLine.blocks, context([`:hourglass_flowing_sand: ${counts}`])]);
}
