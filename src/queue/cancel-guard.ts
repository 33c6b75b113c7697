// The worker's end of a cancel it may not carry out: the requester is not allowed to cancel the job
// (BATCH_SCORE_CANCELERS), as checked again right before Azure is asked. Like a locked endpoint's
// refusal: the request is denied, the audit says why, the parent shows it and the thread gets the
// refusal as its final reply (":no_entry:", not a failure: in the job's thread it must not read as the
// job's end). Nothing reaches Azure.
import { message, section } from '../slack/blocks/block-kit';
import { code, escapeMrkdwn, mention } from '../slack/mrkdwn';
import type { Requester } from './payloads';
import type { RequestLifecycle } from './request-lifecycle';

export async function refuseCancel(lifecycle: RequestLifecycle, input: { requester: Requester; jobName: string; refusal: string }): Promise<void> {
  const text = `:no_entry: ${mention(input.requester.userId)} ${escapeMrkdwn(input.refusal)} Nothing was canceled: job ${code(input.jobName)} goes on.`;
  await lifecycle.refused(message(text, [section(text)]), {
    actor: input.requester.userId,
    audit: { reason: 'not-a-canceler', jobName: input.jobName },
    parentDetail: 'refused: not allowed to cancel this job',
  });
}
