// Taking a cancel, from the slash command or the Cancel button on a job's status line: one path for
// both. Who may cancel whose job is decided first (refused privately, nothing enqueued); then the cancel
// goes to its pre-flight check (does the job exist, is it still running) and from there through the same
// intake as every request (approval rules, open-request caps), reporting in the job's own thread.
import type { Requester } from '../queue/payloads';
import type { BotDeps } from './bot-deps';
import { createCancelPermission } from './cancel-permission';
import { checkingReply, intakeReply } from './intake-replies';

/** What the person is told at once (mrkdwn). Throws UserGroupLookupFailed like every permission check. */
export async function askToCancel(deps: BotDeps, input: { requestId: string; requester: Requester; jobName: string; responseUrl?: string }): Promise<string> {
  const { requestId, requester, jobName } = input;
  const refusal = await createCancelPermission({ policy: deps.policy, requests: deps.intake.requests, userGroups: deps.userGroups }).refusal({ jobName, who: requester });
  if (refusal) {
    await deps.intake.audit.record({ type: 'denied', requestId, actor: requester.userId, action: 'cancel', detail: { reason: 'not-a-canceler' } });
    return `:no_entry: ${refusal}`;
  }
  const check = await deps.producers.preflight({
    requestId,
    requester,
    work: { kind: 'command', command: { verb: 'cancel', jobName } },
    ...(input.responseUrl ? { responseUrl: input.responseUrl } : {}),
  });
  return check.duplicate ? intakeReply({ kind: 'duplicate', requestId }) : checkingReply(requestId);
}
