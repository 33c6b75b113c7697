// The last word on a request, posted in its thread: a deploy that succeeded, a scoring job that
// completed, or a request that failed (which step, the service's error code and message, the ids
// support will ask for, and the requester mentioned so they are notified).
import { code, escapeMrkdwn, link, mention, truncateEscaped } from '../mrkdwn';
import { context, fieldSections, message, section, SLACK_LIMITS, type SlackMessage } from './block-kit';
import { formatDuration } from './time-text';

function studio(url: string | undefined): string {
  return url ? link(url, 'Open in Azure ML studio') : 'not available';
}

export function buildDeploySucceededMessage(view: {
  requesterId: string;
  endpointName: string;
  deploymentName: string;
  isDefault: boolean;
  scoringUri?: string;
  studioUrl?: string;
  durationMs: number;
}): SlackMessage {
  const headline = `:white_check_mark: ${mention(view.requesterId)} deployed ${code(view.deploymentName)} to ${code(view.endpointName)} in ${formatDuration(view.durationMs)}`;
  return message(headline, [
    section(headline),
    ...fieldSections([
      { label: 'Endpoint', value: code(view.endpointName) },
      { label: 'Deployment', value: `${code(view.deploymentName)}${view.isDefault ? ' (default)' : ''}` },
      { label: 'Scoring URI', value: view.scoringUri ? code(view.scoringUri) : 'not reported yet' },
      { label: 'Studio', value: studio(view.studioUrl) },
      { label: 'Duration', value: formatDuration(view.durationMs) },
    ]),
    context([`Run it: ${code(`run ${view.endpointName} <input-uri>`)}`]),
  ]);
}

export function buildJobSucceededMessage(view: {
  requesterId: string;
  jobName: string;
  endpointName: string;
  /** Where the results are, as the request asked or the service confirmed; absent: not reported. */
  outputLocation?: string;
  studioUrl?: string;
  durationMs: number;
}): SlackMessage {
  const headline = `:white_check_mark: ${mention(view.requesterId)} job ${code(view.jobName)} on ${code(view.endpointName)} completed in ${formatDuration(view.durationMs)}`;
  return message(headline, [
    section(headline),
    ...fieldSections([
      { label: 'Output', value: view.outputLocation ? code(view.outputLocation) : 'not reported by the service: see the job in the studio' },
      { label: 'Studio', value: studio(view.studioUrl) },
      { label: 'Duration', value: formatDuration(view.durationMs) },
    ]),
  ]);
}

export function buildRequestFailedMessage(view: {
  requesterId: string;
  /** What was being done, in our words ("Deploy mnist-torch to mnist-batch"). */
  what: string;
  /** The step that failed, if the request has steps (deploy plan step, "invoke", "watch"). */
  failedStep?: string;
  /** The service's error code (ARM error.code) or ours. */
  errorCode?: string;
  errorMessage: string;
  /** The bot's request id. */
  requestId: string;
  /** The service's request id (x-ms-request-id), which Azure support asks for. */
  serviceRequestId?: string;
  /** What the user can do about it. */
  hint?: string;
  durationMs?: number;
}): SlackMessage {
  const headline = `:x: ${mention(view.requesterId)} ${escapeMrkdwn(view.what)} failed${view.failedStep ? ` at step ${code(view.failedStep)}` : ''}`;
  const quoted = truncateEscaped(escapeMrkdwn(view.errorMessage), SLACK_LIMITS.sectionText - 200)
    .split('\n')
    .map((line) => `> ${line}`)
    .join('\n');
  return message(headline, [
    section(headline),
    section(`${view.errorCode ? `*${escapeMrkdwn(view.errorCode)}*\n` : ''}${quoted}`),
    ...(view.hint ? [section(`:bulb: ${escapeMrkdwn(view.hint)}`)] : []),
    context([
      `request ${code(view.requestId)}`,
      ...(view.serviceRequestId ? [`service request id ${code(view.serviceRequestId)}`] : []),
      ...(view.durationMs !== undefined ? [`after ${formatDuration(view.durationMs)}`] : []),
    ]),
  ]);
}
