// Who may ask for what, where, and who may approve it: pure decisions over a config-shaped policy, so the
// handlers (ask), the approval buttons (decide) and the tests share one answer. The store that makes a
// decision atomic lives in src/queue/approval-store.ts; this file only says whether a decision is allowed.
import { z } from 'zod';
import { VERBS, verbsWithAccess, type Command } from './command-verbs';

/** Every action a command can take: the grammar's verbs (src/domain/command-verbs.ts says who may ask for each). */
export const ACTIONS = VERBS;
export const actionSchema = z.enum(ACTIONS);
export type Action = z.infer<typeof actionSchema>;

/** Actions that only read; they never need approval, whatever the configuration says. */
export const READ_ONLY_ACTIONS: readonly Action[] = verbsWithAccess('read-anywhere', 'read');
/** Read-only actions available in every channel, so people can find out where the bot does work. */
const ANYWHERE_ACTIONS: readonly Action[] = verbsWithAccess('read-anywhere');
/** Actions that change endpoints and deployments: gated by `deployers`. */
export const DEPLOYER_ACTIONS: readonly Action[] = verbsWithAccess('deployers');
/** Actions that start, stop or feed scoring jobs: gated by `runners`. */
export const RUNNER_ACTIONS: readonly Action[] = verbsWithAccess('runners');

/** Slack user ids (U…, W… on Enterprise Grid) and user-group ids (S…). */
export const slackPrincipalIdSchema = z
  .string()
  .trim()
  .regex(/^[UWS][A-Z0-9]{2,}$/, 'must be a Slack user id (U… or W…) or user-group id (S…)');

const principalList = z.array(slackPrincipalIdSchema);

export const approvalPolicySchema = z
  .object({
    requiredFor: z.array(actionSchema),
    approvers: principalList,
    ttlMs: z.number().int().positive(),
    /** Absent or empty: everyone in the allowed channels may deploy. */
    deployers: principalList.optional(),
    /** Absent or empty: everyone in the allowed channels may run. */
    runners: principalList.optional(),
    /** Absent or empty: any channel the bot is in. */
    allowedChannelIds: z.array(z.string().min(1)).optional(),
    allowedTeamIds: z.array(z.string().min(1)).optional(),
    /**
     * Who may cancel a job: 'requester' (whoever asked for the run), 'approvers', and Slack user or
     * user-group ids. Absent: requester and approvers.
     */
    cancelers: z.array(z.union([z.enum(['requester', 'approvers']), slackPrincipalIdSchema])).optional(),
  })
  .superRefine((policy, ctx) => {
    // With approvals required and nobody to give them, every gated request would wait until it expires.
    const gated = policy.requiredFor.filter((a) => !READ_ONLY_ACTIONS.includes(a));
    if (gated.length > 0 && policy.approvers.length === 0) {
      ctx.addIssue({
        code: 'custom',
        path: ['approvers'],
        message: `approval is required for ${gated.join(', ')} but no approvers are configured`,
      });
    }
  });
export type ApprovalPolicy = z.infer<typeof approvalPolicySchema>;

export type Decision<Reason extends string> = { ok: true } | { ok: false; reason: Reason; message: string };

export type RequestDenial = 'team-not-allowed' | 'channel-not-allowed' | 'not-a-deployer' | 'not-a-runner';
export type DecideDenial = 'not-an-approver' | 'self-approval' | 'expired' | 'already-decided';
export type WithdrawDenial = 'not-the-requester' | 'expired' | 'already-decided';

export interface Requester {
  action: Action;
  userId: string;
  /** The user's user-group ids (usergroups.users.list), so an S… id in a list admits its members. */
  userGroups: readonly string[];
  channelId: string;
  teamId: string;
}

export interface PendingDecision {
  requesterId: string;
  createdAt: number;
  expiresAt: number;
  status: 'pending' | 'approved' | 'rejected' | 'expired' | 'withdrawn';
}

export interface Decider {
  userId: string;
  userGroups: readonly string[];
}

/** The action a parsed command takes (the grammar's verbs are the action names). */
export function actionOf(command: Command): Action {
  return command.verb;
}

export function isReadOnly(action: Action): boolean {
  return READ_ONLY_ACTIONS.includes(action);
}

export function needsApproval(policy: ApprovalPolicy, action: Action): boolean {
  return !isReadOnly(action) && policy.requiredFor.includes(action);
}

/** When a request made at `createdAt` stops being approvable. */
export function approvalExpiresAt(policy: ApprovalPolicy, createdAt: number): number {
  return createdAt + policy.ttlMs;
}

function isIn(list: readonly string[], who: { userId: string; userGroups: readonly string[] }): boolean {
  return list.includes(who.userId) || who.userGroups.some((group) => list.includes(group));
}

/** An absent or empty allow-list admits everyone. */
function admits(list: readonly string[] | undefined, who: { userId: string; userGroups: readonly string[] }): boolean {
  return list === undefined || list.length === 0 || isIn(list, who);
}

/** May this user ask for this action here? (Before approval: approval is a second, separate gate.) */
export function mayRequest(policy: ApprovalPolicy, request: Requester): Decision<RequestDenial> {
  const { allowedTeamIds, allowedChannelIds } = policy;
  if (allowedTeamIds && allowedTeamIds.length > 0 && !allowedTeamIds.includes(request.teamId)) {
    return { ok: false, reason: 'team-not-allowed', message: 'This bot does not serve this Slack workspace.' };
  }
  if (!ANYWHERE_ACTIONS.includes(request.action) && allowedChannelIds && allowedChannelIds.length > 0 && !allowedChannelIds.includes(request.channelId)) {
    return {
      ok: false,
      reason: 'channel-not-allowed',
      message: 'This bot is not enabled in this channel; use it in one of its channels, or ask an admin to allow this one.',
    };
  }
  if (DEPLOYER_ACTIONS.includes(request.action) && !admits(policy.deployers, request)) {
    return {
      ok: false,
      reason: 'not-a-deployer',
      message: `You are not on the list of people who may ${request.action} endpoints; ask an admin to add you (or your user group) to the deployers.`,
    };
  }
  if (RUNNER_ACTIONS.includes(request.action) && !admits(policy.runners, request)) {
    return {
      ok: false,
      reason: 'not-a-runner',
      message: `You are not on the list of people who may ${request.action === 'data-register' ? 'register data' : `${request.action} jobs`}; ask an admin to add you (or your user group) to the runners.`,
    };
  }
  return { ok: true };
}

export const DEFAULT_CANCELERS = ['requester', 'approvers'] as const;

/**
 * May this person cancel this job? `ownerId` is who asked for the run through the bot (undefined for a job
 * the bot did not start). Which jobs can be cancelled at all (batch scoring jobs of this workspace) is
 * the worker's check, since only Azure knows.
 */
export function mayCancel(policy: ApprovalPolicy, job: { ownerId?: string }, who: Decider): Decision<'not-a-canceler'> {
  const cancelers = policy.cancelers ?? DEFAULT_CANCELERS;
  if (cancelers.includes('requester') && job.ownerId !== undefined && job.ownerId === who.userId) return { ok: true };
  if (cancelers.includes('approvers') && isIn(policy.approvers, who)) return { ok: true };
  if (isIn(cancelers.filter((c) => c !== 'requester' && c !== 'approvers'), who)) return { ok: true };
  const whom = [
    cancelers.includes('requester') ? 'the person who started it' : undefined,
    cancelers.includes('approvers') ? 'an approver' : undefined,
    cancelers.some((c) => c !== 'requester' && c !== 'approvers') ? 'the people listed in BATCH_SCORE_CANCELERS' : undefined,
  ].filter(Boolean);
  return {
    ok: false,
    reason: 'not-a-canceler',
    message: `Only ${whom.length > 0 ? whom.join(' or ') : 'nobody (cancelling is turned off)'} may cancel this job.`,
  };
}

/** May this person approve or reject this request now? */
export function mayDecide(
  policy: ApprovalPolicy,
  request: PendingDecision,
  decider: Decider,
  now: number,
): Decision<DecideDenial> {
  if (request.status === 'expired' || (request.status === 'pending' && now >= request.expiresAt)) {
    return {
      ok: false,
      reason: 'expired',
      message: `This request expired at ${new Date(request.expiresAt).toISOString()} without a decision; ask again with the same command.`,
    };
  }
  if (request.status !== 'pending') {
    return { ok: false, reason: 'already-decided', message: `This request was already ${request.status}; nothing more to decide.` };
  }
  if (!isIn(policy.approvers, decider)) {
    return {
      ok: false,
      reason: 'not-an-approver',
      message: 'Only the configured approvers can approve or reject requests; ask one of them to decide.',
    };
  }
  if (decider.userId === request.requesterId) {
    return {
      ok: false,
      reason: 'self-approval',
      message: 'You made this request yourself, so another approver has to decide on it.',
    };
  }
  return { ok: true };
}

/**
 * Only the person who asked may withdraw their request, and only while it waits for a decision. The
 * store's atomic transition settles a Withdraw racing an Approve or Reject; this is who may try.
 */
export function mayWithdraw(request: PendingDecision, userId: string, now: number): Decision<WithdrawDenial> {
  if (request.status === 'expired' || (request.status === 'pending' && now >= request.expiresAt)) {
    return { ok: false, reason: 'expired', message: 'This request already expired without a decision; there is nothing to withdraw.' };
  }
  if (request.status !== 'pending') {
    return { ok: false, reason: 'already-decided', message: `This request was already ${request.status}; there is nothing to withdraw.` };
  }
  if (userId !== request.requesterId) {
    return { ok: false, reason: 'not-the-requester', message: 'Only the person who made this request can withdraw it.' };
  }
  return { ok: true };
}
