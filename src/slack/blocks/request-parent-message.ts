// The one message per request that everything else threads under: what was asked, by whom, and a
// status line that is updated in place (chat.update) as the request moves on.
import { code, escapeMrkdwn, mention } from '../mrkdwn';
import { context, message, section, type SlackMessage } from './block-kit';
import type { RequestSubject } from '../../domain/request-subject';
import { subjectTitle } from './request-subject';
import { formatDuration, slackDate } from './time-text';

export const REQUEST_STATUSES = [
  'awaiting-approval',
  'approved',
  'queued',
  'running',
  'succeeded',
  'failed',
  'rejected',
  'expired',
  'withdrawn',
  'canceled',
] as const;
export type RequestStatus = (typeof REQUEST_STATUSES)[number];

const STATUS_LINE: Readonly<Record<RequestStatus, string>> = {
  'awaiting-approval': ':hourglass_flowing_sand: Waiting for approval',
  approved: ':white_check_mark: Approved, starting',
  queued: ':inbox_tray: Queued',
  running: ':gear: Running',
  succeeded: ':white_check_mark: Succeeded',
  failed: ':x: Failed',
  rejected: ':no_entry: Rejected',
  expired: ':hourglass: Expired without approval',
  withdrawn: ':leftwards_arrow_with_hook: Withdrawn by the requester',
  canceled: ':octagonal_sign: Canceled',
};

export interface RequestParentView {
  requestId: string;
  requesterId: string;
  subject: RequestSubject;
  status: RequestStatus;
  /** A short extra word on the status ("step 3 of 7", a job name); user-visible, so escaped. */
  detail?: string;
  /** When the status last changed. */
  updatedAt?: number;
  /** Time since the request started, for running and finished requests. */
  elapsedMs?: number;
}

export function buildRequestParentMessage(view: RequestParentView): SlackMessage {
  const title = subjectTitle(view.subject);
  const parts = [STATUS_LINE[view.status]];
  if (view.detail) parts.push(escapeMrkdwn(view.detail));
  if (view.elapsedMs !== undefined) parts.push(formatDuration(view.elapsedMs));
  if (view.updatedAt !== undefined) parts.push(`updated ${slackDate(view.updatedAt)}`);
  return message(`${title} (${view.status})`, [
    section(`${title}\nRequested by ${mention(view.requesterId)}`),
    context([parts.join(' · '), `request ${code(view.requestId)}`]),
  ]);
}
