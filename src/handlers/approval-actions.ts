// Approve / Reject buttons. The button's value is the approval id and nothing else in the payload is
// trusted: the request is read back from the store, and the decision is the store's atomic transition.
// The clicker is answered privately when they may not decide (not an approver, their own request,
// expired, already decided); everyone else sees the channel message change.
import type { App, BlockAction, ButtonAction } from '@slack/bolt';
import { APPROVAL_ACTIONS } from '../slack/blocks/approval-request-message';
import { publishHome } from './app-home';
import type { BotDeps } from './bot-deps';
import { decideApproval, withdrawRequest } from './request-intake';
import { userGroupFailureReply } from './intake-replies';
import { UserGroupLookupFailed, userGroupIds } from './user-groups';
import { logRequestFailure } from './request-failure-log';
import { depsInWorkspace, labelledText, workspaceNamed, type BotWorkspace } from './bot-workspaces';

export interface ClickReply {
  (text: string): Promise<void>;
}

/**
 * The approval a click names, once the click comes from a workspace this bot serves and carries one;
 * otherwise the clicker has been told why and the answer is undefined.
 */
async function clickedApproval(deps: BotDeps, body: BlockAction<ButtonAction>, reply: ClickReply, noRequest: string): Promise<string | undefined> {
  const teamId = body.team?.id ?? body.user.team_id;
  const allowedTeams = deps.policy.allowedTeamIds ?? [];
  if (allowedTeams.length > 0 && (!teamId || !allowedTeams.includes(teamId))) {
    await reply(':no_entry: This bot does not serve this Slack workspace.');
    return undefined;
  }
  const approvalId = body.actions[0]?.value;
  if (!approvalId) await reply(noRequest);
  return approvalId || undefined;
}

/**
 * The approval's own workspace: its approvers decide, its thread is updated with its label. An approval
 * that is gone (or names a profile no longer configured) is left to the intake, which says so.
 */
async function approvalWorkspace(deps: BotDeps, approvalId: string): Promise<BotWorkspace | undefined> {
  const approval = await deps.intake.approvals.get(approvalId);
  return approval ? workspaceNamed(deps, approval.requester.profile) : undefined;
}

export async function handleApprovalClick(botDeps: BotDeps, body: BlockAction<ButtonAction>, approve: boolean, reply: ClickReply): Promise<void> {
  const userId = body.user.id;
  const approvalId = await clickedApproval(botDeps, body, reply, 'This button carries no request; ask again with the same command.');
  if (!approvalId) return;
  const workspace = await approvalWorkspace(botDeps, approvalId);
  if (!workspace) {
    await reply(':no_entry: This request no longer exists; ask again with the same command.');
    return;
  }
  const deps = depsInWorkspace(botDeps, workspace);
  const groups = await deps.userGroups.groupsOf(userId, userGroupIds([deps.policy.approvers]));
  const outcome = await decideApproval(deps.intake, { approvalId, approve, decider: { userId, userGroups: groups } });
  if (!outcome.ok) {
    await reply(labelledText(`:no_entry: ${outcome.message}`, workspace));
    return;
  }
  await reply(
    labelledText(approve ? ':white_check_mark: Approved; the work is queued and reports in the thread.' : ':no_entry: Rejected; the requester sees it on the message.', workspace),
  );
}

/** Withdraw: only the requester, checked against the stored request (the button is on everyone's screen). */
export async function handleWithdrawClick(botDeps: BotDeps, body: BlockAction<ButtonAction>, reply: ClickReply): Promise<void> {
  const approvalId = await clickedApproval(botDeps, body, reply, 'This button carries no request.');
  if (!approvalId) return;
  const workspace = await approvalWorkspace(botDeps, approvalId);
  if (!workspace) {
    await reply(':no_entry: This request no longer exists; there is nothing to withdraw.');
    return;
  }
  const outcome = await withdrawRequest(depsInWorkspace(botDeps, workspace).intake, { approvalId, userId: body.user.id });
  await reply(
    labelledText(outcome.ok ? ':leftwards_arrow_with_hook: Withdrawn; nothing was started and the approvers see it on the message.' : `:no_entry: ${outcome.message}`, workspace),
  );
}

export function registerApprovalActions(app: App, deps: BotDeps): void {
  app.action<BlockAction<ButtonAction>>(APPROVAL_ACTIONS.withdraw, async ({ ack, body, respond }) => {
    await ack();
    const reply: ClickReply = (text) => respond({ response_type: 'ephemeral', replace_original: false, text }).then(() => undefined);
    try {
      await handleWithdrawClick(deps, body, reply);
    } catch (err) {
      logRequestFailure(deps, deps.logger, err, 'could not record the withdrawal', { user: body.user.id });
      await reply(':warning: The withdrawal could not be recorded right now; the request still waits. Please click again in a minute.');
    }
  });
  for (const [actionId, approve] of [
    [APPROVAL_ACTIONS.approve, true],
    [APPROVAL_ACTIONS.reject, false],
  ] as const) {
    app.action<BlockAction<ButtonAction>>(actionId, async ({ ack, body, respond, client }) => {
      await ack();
      // A click on the App Home tab has no response_url: the answer is the tab, published again.
      const fromHome = body.container?.type === 'view' || body.view?.type === 'home';
      const reply: ClickReply = fromHome
        ? (text) => publishHome(deps, client, body.user.id, text)
        : (text) => respond({ response_type: 'ephemeral', replace_original: false, text }).then(() => undefined);
      try {
        await handleApprovalClick(deps, body, approve, reply);
      } catch (err) {
        if (err instanceof UserGroupLookupFailed) {
          await reply(userGroupFailureReply(err.reason, 'decided'));
          return;
        }
        logRequestFailure(deps, deps.logger, err, 'could not record the decision', { user: body.user.id });
        await reply(':warning: The bot is temporarily unavailable, so the decision was not recorded and nothing was started. Please click again in a minute.');
      }
    });
  }
}
