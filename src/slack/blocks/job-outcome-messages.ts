// The last word on a scoring job that did not simply work: canceled on request (that is what was asked,
// so not a failure), or completed with items that failed (Azure says Completed when the error threshold
// allows it; the requester must see how many items failed, first, not only "Completed").
import { code, mention } from '../mrkdwn';
import { context, fieldSections, message, section, type SlackMessage } from './block-kit';
import { formatDuration } from './time-text';

export function buildJobCanceledMessage(view: { requesterId: string; jobName: string; endpointName: string; durationMs: number }): SlackMessage {
  const headline = `:no_entry_sign: ${mention(view.requesterId)} job ${code(view.jobName)} on ${code(view.endpointName)} was canceled after ${formatDuration(view.durationMs)}`;
  return message(headline, [section(headline), context(['It stopped because a cancel was asked for; partial results, if any, are not complete.'])]);
}

export function buildJobCompletedWithFailuresMessage(view: {
  requesterId: string;
  jobName: string;
  endpointName: string;
  itemsFailed: number;
  itemsSucceeded?: number;
  outputLocation: string;
  durationMs: number;
}): SlackMessage {
  const total = view.itemsSucceeded === undefined ? undefined : view.itemsSucceeded + view.itemsFailed;
  const share = total === undefined ? `${view.itemsFailed}` : `${view.itemsFailed} of ${total}`;
  const all = total !== undefined && view.itemsFailed === total;
  const headline = `:warning: ${mention(view.requesterId)} job ${code(view.jobName)} on ${code(view.endpointName)} completed, but ${all ? `every item failed (${share})` : `${share} items failed`}`;
  return message(headline, [
    section(headline),
    ...fieldSections([
      { label: 'Items failed', value: `*${share}*` },
      { label: 'Output', value: code(view.outputLocation) },
      { label: 'Duration', value: formatDuration(view.durationMs) },
    ]),
    context([`The scoring script raised errors for those items; ${code(`status ${view.jobName}`)} shows the job, its logs are in Azure ML studio.`]),
  ]);
}
