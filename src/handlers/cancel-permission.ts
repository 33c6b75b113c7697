// Who may cancel whose job: the bot knows who started a run (its request store links the scoring job to
// the request), and Slack knows who is an approver. Configured by BATCH_SCORE_CANCELERS (default: the
// run's requester and the approvers). Checked where a cancel is asked for (slash command, Cancel button)
// and again by the worker right before it cancels, because an ops payload can be replayed or enqueued by
// another path than the bot's. Which jobs may be cancelled at all is the worker's check, against Azure
// (src/azureml/batch-scoring-job.ts).
import { DEFAULT_CANCELERS, mayCancel, mayRequest, type ApprovalPolicy } from '../domain/approval-policy';
import type { Requester } from '../queue/payloads';
import type { RequestStore } from '../queue/request-store';
import { userGroupIds, type UserGroupResolver } from './user-groups';

export interface CancelPermission {
  /**
   * Undefined when `who` may cancel `jobName`; otherwise the refusal to show (plain sentence). Throws
   * UserGroupLookupFailed when Slack cannot say who is in the groups (fail closed: the caller says so).
   */
  refusal(input: { jobName: string; who: Requester }): Promise<string | undefined>;
}

export function createCancelPermission(deps: { policy: ApprovalPolicy; requests: Pick<RequestStore, 'findByJob'>; userGroups: UserGroupResolver }): CancelPermission {
  const { policy } = deps;
  return {
    async refusal({ jobName, who }) {
      const cancelers = policy.cancelers ?? DEFAULT_CANCELERS;
      const groups = await deps.userGroups.groupsOf(who.userId, userGroupIds([policy.approvers, policy.runners, cancelers]));
      // Who may ask for a cancel at all (runners, allowed channels and workspace), then whose job.
      const asked = mayRequest(policy, { action: 'cancel', userId: who.userId, userGroups: groups, channelId: who.channelId, teamId: who.teamId });
      if (!asked.ok) return asked.message;
      const owner = await deps.requests.findByJob(jobName);
      const decision = mayCancel(policy, { ...(owner ? { ownerId: owner.requester.userId } : {}) }, { userId: who.userId, userGroups: groups });
      return decision.ok ? undefined : decision.message;
    },
  };
}
