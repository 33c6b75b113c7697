// A batch scoring job's status: the one-line form (updated in place in the request's thread while the
// job is watched, and used in job lists) and the detailed reply to `status <job>`. Statuses are
// Azure ML's JobStatus values (mfe.json); terminal ones are Completed, Failed and Canceled.
import { code, escapeMrkdwn, link } from '../mrkdwn';
import { context, fieldSections, message, section, type SlackMessage } from './block-kit';
import { formatDuration, slackDate } from './time-text';

// A Map, so a status string from the service can never look up Object.prototype.
const STATUS_EMOJI: ReadonlyMap<string, string> = new Map(Object.entries({
  NotStarted: ':white_circle:',
  Starting: ':hourglass_flowing_sand:',
  Provisioning: ':hourglass_flowing_sand:',
  Preparing: ':hourglass_flowing_sand:',
  Queued: ':inbox_tray:',
  Running: ':gear:',
  Finalizing: ':gear:',
  CancelRequested: ':octagonal_sign:',
  Completed: ':white_check_mark:',
  Failed: ':x:',
  Canceled: ':octagonal_sign:',
  NotResponding: ':warning:',
  Paused: ':double_vertical_bar:',
  Unknown: ':grey_question:',
}));

export function jobStatusEmoji(status: string): string {
  return STATUS_EMOJI.get(status) ?? ':grey_question:';
}

export interface JobStatusView {
  jobName: string;
  endpointName?: string;
  deploymentName?: string;
  status: string;
  createdAt?: number;
  elapsedMs?: number;
  inputUri?: string;
  outputUri?: string;
  studioUrl?: string;
}

/** "⚙️ `job` on `endpoint` · Running · 3m 05s": mrkdwn, escaped. */
export function jobStatusLine(view: Pick<JobStatusView, 'jobName' | 'endpointName' | 'status' | 'elapsedMs'>): string {
  const parts = [`${jobStatusEmoji(view.status)} ${code(view.jobName)}${view.endpointName ? ` on ${code(view.endpointName)}` : ''}`];
  parts.push(`*${escapeMrkdwn(view.status)}*`);
  if (view.elapsedMs !== undefined) parts.push(formatDuration(view.elapsedMs));
  return parts.join(' · ');
}

/**
 * The in-thread line the watch worker keeps updated. It replaces the job's "started" message in place, so
 * it keeps what that message offered: the studio link and the `status` command.
 */
export function buildJobStatusLineMessage(view: Pick<JobStatusView, 'jobName' | 'endpointName' | 'status' | 'elapsedMs' | 'studioUrl'>): SlackMessage {
  const line = jobStatusLine(view);
  if (!view.studioUrl) return message(line, [section(line)]);
  // While the job runs, its Cancel button sits below this line (job-buttons.ts).
  return message(line, [section(line), context([link(view.studioUrl, 'Open in Azure ML studio'), `\`status ${escapeMrkdwn(view.jobName)}\``])]);
}

/** The reply to `status <job>`. */
export function buildJobStatusMessage(view: JobStatusView): SlackMessage {
  const fields = [
    { label: 'Status', value: `${jobStatusEmoji(view.status)} ${escapeMrkdwn(view.status)}` },
    ...(view.endpointName ? [{ label: 'Endpoint', value: code(view.endpointName) }] : []),
    ...(view.deploymentName ? [{ label: 'Deployment', value: code(view.deploymentName) }] : []),
    ...(view.createdAt !== undefined ? [{ label: 'Started', value: slackDate(view.createdAt) }] : []),
    ...(view.elapsedMs !== undefined ? [{ label: 'Duration', value: formatDuration(view.elapsedMs) }] : []),
    ...(view.inputUri ? [{ label: 'Input', value: code(view.inputUri) }] : []),
    ...(view.outputUri ? [{ label: 'Output', value: code(view.outputUri) }] : []),
  ];
  return message(jobStatusLine(view), [
    section(`Job ${code(view.jobName)}`),
    ...fieldSections(fields),
    ...(view.studioUrl ? [context([link(view.studioUrl, 'Open in Azure ML studio')])] : []),
  ]);
}
