// The message an approver acts on: who asked, the full request as fields, when it expires, and
// Approve / Reject buttons whose value is the approval id (the handler looks the request up by it;
// nothing else in the payload is trusted), and Withdraw for the requester (Slack shows a button to
// everyone in the channel; the handler lets only the requester use it). Posted once per approval;
// replaced by the decided message.
import { code, escapeMrkdwn, mention } from '../mrkdwn';
import { actions, button, context, fieldSections, message, section, type SlackMessage } from './block-kit';
import type { RequestSubject } from '../../domain/request-subject';
import { subjectAction, subjectFields, subjectTitle } from './request-subject';
import { slackDate } from './time-text';
import type { ChangePlan } from '../../usecases/change-plan';
import { changePlanBlocks } from './change-plan-blocks';

/** The ids the actions handler listens for. */
export const APPROVAL_ACTIONS = {
  blockId: 'approval-decision',
  approve: 'approval-approve',
  reject: 'approval-reject',
  withdraw: 'approval-withdraw',
} as const;

export interface ApprovalRequestView {
  approvalId: string;
  requesterId: string;
  subject: RequestSubject;
  createdAt: number;
  expiresAt: number;
  /** Approver user ids (U…) or user-group ids (S…), mentioned so they are notified. */
  approvers?: readonly string[];
  /** What the change will do against what exists now (deploy, set-default, delete). */
  plan?: ChangePlan;
}

function mentionPrincipal(id: string): string {
  // User groups are mentioned with <!subteam^S…>; only well-formed ids become mentions.
  return /^S[A-Z0-9]+$/.test(id) ? `<!subteam^${id}>` : mention(id);
}

/** Deleting cannot be undone, so approving it asks once more. */
const DELETE_CONFIRM = {
  title: 'Delete the endpoint?',
  text: 'The endpoint and all its deployments will be deleted. This cannot be undone.',
  confirm: 'Approve delete',
  deny: 'Cancel',
};

/** A withdrawal cannot be taken back either; the requester would have to ask again. */
const WITHDRAW_CONFIRM = {
  title: 'Withdraw your request?',
  text: 'Nobody will be able to approve it any more; to do it later, ask again.',
  confirm: 'Withdraw',
  deny: 'Keep it',
};

export function buildApprovalRequestMessage(view: ApprovalRequestView): SlackMessage {
  const title = subjectTitle(view.subject);
  const asks = `:raised_hand: ${mention(view.requesterId)} asks to: ${title}`;
  const approvers = (view.approvers ?? []).slice(0, 20).map(mentionPrincipal).join(' ');
  const destructive = subjectAction(view.subject) === 'delete';
  return message(`Approval needed: ${mention(view.requesterId)} asks to ${title}`, [
    section(asks),
    ...fieldSections(subjectFields(view.subject)),
    ...(view.plan ? changePlanBlocks(view.plan) : []),
    context([
      `Requested ${slackDate(view.createdAt)} · expires ${slackDate(view.expiresAt)} · approval ${code(view.approvalId)}`,
      ...(approvers ? [`Approvers: ${approvers}`] : []),
    ]),
    actions(APPROVAL_ACTIONS.blockId, [
      button({
        text: 'Approve',
        actionId: APPROVAL_ACTIONS.approve,
        value: view.approvalId,
        style: 'primary',
        ...(destructive ? { confirm: DELETE_CONFIRM } : {}),
      }),
      button({ text: 'Reject', actionId: APPROVAL_ACTIONS.reject, value: view.approvalId, style: 'danger' }),
      button({ text: 'Withdraw (requester)', actionId: APPROVAL_ACTIONS.withdraw, value: view.approvalId, confirm: WITHDRAW_CONFIRM }),
    ]),
  ]);
}

/** The same request once decided: who decided and when, and no buttons left to press. */
export function buildApprovalDecidedMessage(
  view: ApprovalRequestView & { decision: 'approved' | 'rejected' | 'expired' | 'withdrawn'; deciderId?: string; decidedAt: number },
): SlackMessage {
  const title = subjectTitle(view.subject);
  const outcome =
    view.decision === 'approved'
      ? `:white_check_mark: Approved by ${view.deciderId ? mention(view.deciderId) : 'an approver'} ${slackDate(view.decidedAt)}`
      : view.decision === 'rejected'
        ? `:no_entry: Rejected by ${view.deciderId ? mention(view.deciderId) : 'an approver'} ${slackDate(view.decidedAt)}`
        : view.decision === 'withdrawn'
          ? `:leftwards_arrow_with_hook: Withdrawn by ${mention(view.deciderId ?? view.requesterId)} ${slackDate(view.decidedAt)}; nothing was started`
          : `:hourglass: Expired ${slackDate(view.decidedAt)} without a decision`;
  return message(`${escapeMrkdwn(view.decision)}: ${title}`, [
    section(`${mention(view.requesterId)} asked to: ${title}`),
    ...fieldSections(subjectFields(view.subject)),
    section(outcome),
    context([`Requested ${slackDate(view.createdAt)} · approval ${code(view.approvalId)}`]),
  ]);
}
