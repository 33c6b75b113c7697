// "Remove what this created" under a failed deploy's final reply. The button carries the failed request's
// id only: the list is read from the worker's record, the clicker must be allowed to delete, and the
// removal is a request of its own taken like `delete` (an approver is asked when delete needs approval).
import type { App, BlockAction, ButtonAction } from '@slack/bolt';
import { mayRequest } from '../domain/approval-policy';
import { LEFTOVER_ACTIONS } from '../slack/blocks/deploy-leftovers-message';
import type { BotDeps } from './bot-deps';
import { lockRefusalFor } from '../queue/lock-guard';
import { intakeReply, unavailableReply, userGroupFailureReply } from './intake-replies';
import { requestIdFrom } from './request-id';
import { logRequestFailure } from './request-failure-log';
import { submitWork } from './request-intake';
import { UserGroupLookupFailed, userGroupIds } from './user-groups';
import { depsInWorkspace, labelledText, requesterIn, workspaceNamed } from './bot-workspaces';

export async function handleRemoveLeftoversClick(botDeps: BotDeps, body: BlockAction<ButtonAction>): Promise<string> {
  const userId = body.user.id;
  const teamId = body.team?.id ?? body.user.team_id ?? '';
  const allowedTeams = botDeps.policy.allowedTeamIds ?? [];
  if (allowedTeams.length > 0 && !allowedTeams.includes(teamId)) return ':no_entry: This bot does not serve this Slack workspace.';
  const sourceRequestId = body.actions[0]?.value;
  const record = sourceRequestId ? await botDeps.leftovers?.get(sourceRequestId) : undefined;
  if (!record) return 'There is nothing left to remove for this request: no record of what it created (records are kept 30 days). Nothing was started.';
  if (record.removedBy) return `What this request created was already removed (request \`${record.removedBy}\`). Nothing was started.`;
  // The removal is for the failed deploy's own workspace: its deployers, its approvers, its label.
  const workspace = workspaceNamed(botDeps, record.requester.profile);
  if (!workspace) return 'There is nothing left to remove for this request: its workspace is no longer configured. Nothing was started.';
  const deps = depsInWorkspace(botDeps, workspace);
  const groups = await deps.userGroups.groupsOf(userId, userGroupIds([deps.policy.deployers]));
  const allowed = mayRequest(deps.policy, { action: 'delete', userId, userGroups: groups, channelId: record.requester.channelId, teamId });
  if (!allowed.ok) return `:no_entry: ${allowed.message}`;
  // A lock freezes deletions of its endpoint, this removal's too (the worker checks again before removing).
  const requestId = requestIdFrom('action', body.trigger_id);
  const refusal = await lockRefusalFor(deps.locks, 'delete', record.endpointName);
  if (refusal) {
    await deps.intake.audit.record({ type: 'denied', requestId, actor: userId, action: 'delete', detail: { reason: 'endpoint-locked', endpoint: record.endpointName, sourceRequestId: record.requestId } });
    return labelledText(refusal.text, workspace);
  }
  const outcome = await submitWork(deps.intake, {
    requestId,
    requester: requesterIn(botDeps, { userId, teamId, channelId: record.requester.channelId, ...(body.user.name ? { userName: body.user.name } : {}) }, workspace),
    work: { kind: 'cleanup', sourceRequestId: record.requestId, endpointName: record.endpointName, deploymentName: record.deploymentName, resources: record.resources },
  });
  return labelledText(intakeReply(outcome), workspace);
}

export function registerLeftoverActions(app: App, deps: BotDeps): void {
  app.action<BlockAction<ButtonAction>>(LEFTOVER_ACTIONS.remove, async ({ ack, body, respond }) => {
    await ack();
    const reply = (text: string) => respond({ response_type: 'ephemeral', replace_original: false, text }).then(() => undefined);
    try {
      await reply(await handleRemoveLeftoversClick(deps, body));
    } catch (err) {
      if (err instanceof UserGroupLookupFailed) {
        await reply(userGroupFailureReply(err.reason, 'started'));
        return;
      }
      logRequestFailure(deps, deps.logger, err, 'could not take the removal of a failed deploy', { user: body.user.id });
      await reply(unavailableReply());
    }
  });
}
