// The reply to `jobs [<endpoint>]`: recent batch scoring jobs, one status line each, newest first as given.
import { code } from '../mrkdwn';
import { context, header, linesToSections, message, section, SLACK_LIMITS, type SlackMessage } from './block-kit';
import { jobStatusLine } from './job-status-message';
import { slackDate } from './time-text';

export interface JobSummary {
  name: string;
  status: string;
  endpointName?: string;
  createdAt?: number;
  elapsedMs?: number;
}

export function buildJobsListMessage(view: { endpointName?: string; jobs: readonly JobSummary[] }): SlackMessage {
  const scope = view.endpointName ? ` of ${view.endpointName}` : '';
  if (view.jobs.length === 0) {
    return message('No batch scoring jobs', [
      section(`No batch scoring jobs${view.endpointName ? ` on ${code(view.endpointName)}` : ''} yet.`),
    ]);
  }
  const lines = view.jobs.map((j) => {
    const line = jobStatusLine({ jobName: j.name, endpointName: j.endpointName, status: j.status, elapsedMs: j.elapsedMs });
    return j.createdAt !== undefined ? `${line} · started ${slackDate(j.createdAt)}` : line;
  });
  return message(`${view.jobs.length} batch scoring job(s)`, [
    header(`Batch scoring jobs${scope} (${view.jobs.length})`),
    ...linesToSections(lines, SLACK_LIMITS.messageBlocks - 2),
    context(['`status <job>` for details, `cancel <job>` to stop one.']),
  ]);
}
