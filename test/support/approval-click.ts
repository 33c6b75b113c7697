// An Approve / Reject click built by hand: what an old Slack client, a replay or an attacker with a
// valid signature can still send after the message lost its buttons (expired, already decided). The
// driver only clicks buttons that are on the message now, so these tests build the payload themselves.
import type { SlackStandIn } from '../../sandbox/slack';
import type { SlackDriver } from '../../sandbox/slack/driver';
import { APPROVAL_ACTIONS } from '../../src/slack/blocks/approval-request-message';

/** The approval id an approval request's Approve button carries (its value). */
export function approveButtonValue(blocks: readonly unknown[]): string {
  for (const block of blocks as Array<{ elements?: Array<{ action_id?: string; value?: string }> }>) {
    const button = block.elements?.find((e) => e.action_id === APPROVAL_ACTIONS.approve);
    if (button?.value) return button.value;
  }
  throw new Error('the approval request has no Approve button');
}

/** A signed block_actions body for a click on Approve (or Reject) of the message at `ts`. */
export function signedApprovalClick(
  slack: SlackStandIn,
  driver: SlackDriver,
  click: { channel: string; ts: string; approvalId: string; user: { id: string; name: string }; teamId?: string; approve?: boolean },
): { body: string; headers: Record<string, string> } {
  const teamId = click.teamId ?? slack.teamId;
  const actionId = click.approve === false ? APPROVAL_ACTIONS.reject : APPROVAL_ACTIONS.approve;
  const payload = {
    type: 'block_actions',
    user: { id: click.user.id, username: click.user.name, name: click.user.name, team_id: teamId },
    api_app_id: slack.appId,
    token: 'sandbox-verification-token',
    container: { type: 'message', message_ts: click.ts, channel_id: click.channel, is_ephemeral: false },
    trigger_id: slack.issueTriggerId(click.user.id),
    team: { id: teamId, domain: slack.teamDomain },
    channel: { id: click.channel, name: slack.channel(click.channel)?.name ?? click.channel },
    response_url: slack.issueResponseUrl(click.channel, click.user.id, { channel: click.channel, ts: click.ts }),
    actions: [
      {
        type: 'button',
        action_id: actionId,
        block_id: APPROVAL_ACTIONS.blockId,
        text: { type: 'plain_text', text: click.approve === false ? 'Reject' : 'Approve' },
        value: click.approvalId,
        action_ts: `${Math.floor(Date.now() / 1000)}.000100`,
      },
    ],
  };
  const body = new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
  return { body, headers: driver.signed(body).headers };
}
