// Who may cancel whose job, decided when the cancel is asked for: the bot knows who started a run (its
// request store links the scoring job to the request), and Slack knows who is an approver. Configured
// by BATCH_SCORE_CANCELERS (default: the run's requester and the approvers). Which jobs may be cancelled
// at all is checked by the worker, against Azure (src/azureml/batch-scoring-job.ts).
import { DEFAULT_CANCELERS, mayCancel } from '../domain/approval-policy';
import type { BotDeps } from './bot-deps';
import { userGroupIds } from './user-groups';

/** Undefined when `userId` may cancel `jobName`; otherwise the refusal to show. */
export async function cancelRefusal(deps: BotDeps, input: { jobName: string; userId: string }): Promise<string | undefined> {
  const owner = await deps.intake.requests.findByJob(input.jobName);
  const cancelers = deps.policy.cancelers ?? DEFAULT_CANCELERS;
  const groups = await deps.userGroups.groupsOf(input.userId, userGroupIds([deps.policy.approvers, cancelers]));
  const decision = mayCancel(deps.policy, { ...(owner ? { ownerId: owner.requester.userId } : {}) }, { userId: input.userId, userGroups: groups });
  return decision.ok ? undefined : decision.message;
}
