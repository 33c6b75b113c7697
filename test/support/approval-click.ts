// An Approve / Reject click built by hand: what an old Slack client, a replay or an attacker with a
// valid signature can still send after the message lost its buttons (expired, already decided). The
// driver only clicks buttons that are on the message now, so these tests build the payload themselves.
import type { SlackStandIn } from '../../sandbox/slack';
import type { SlackDriver } from '../../sandbox/slack/driver';
import { APPROVAL_ACTIONS } from '../../src/slack/blocks/approval-request-message';
import { signedButtonClick } from './button-click';

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
  const reject = click.approve === false;
  return signedButtonClick(slack, driver, {
    channel: click.channel,
    ts: click.ts,
    actionId: reject ? APPROVAL_ACTIONS.reject : APPROVAL_ACTIONS.approve,
    blockId: APPROVAL_ACTIONS.blockId,
    text: reject ? 'Reject' : 'Approve',
    value: click.approvalId,
    user: click.user,
    ...(click.teamId ? { teamId: click.teamId } : {}),
  });
}
